"""学籍异动 pages as users meet them: a full transfer, promotion, 控辍保学 and the scope of every endpoint."""

import pytest
from django.test import Client

from core.models import Student, StudentStatus
from core.testing import junior_class_b, login
from roster.models import ChangeKind, ChangeStatus, RosterChange

URL_NAMES = {
    "roster:student_record",
    "roster:student_transfer_request",
    "roster:student_suspend",
    "roster:student_resume",
    "roster:student_withdraw",
    "roster:transfers",
    "roster:transfer_accept",
    "roster:transfer_approve",
    "roster:transfer_reject",
    "roster:transfer_cancel",
    "roster:school_promote",
    "roster:dropouts",
    "roster:dropout_follow_up",
}


def client_for(user):
    c = Client()
    login(c, user)
    return c


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.mark.django_db
def test_full_transfer_through_the_pages(world):
    a, b, d = client_for(world.school_admin_a), client_for(world.school_admin_b), client_for(world.district_admin)
    st = world.student_a2
    page = a.get(f"/roster/students/{st.pk}/").content.decode()
    assert "申请转学" in page and world.school_b.name in page
    # the other school may not request for our student; a teacher of school A may view but not act
    assert (
        b.post(f"/roster/students/{st.pk}/transfer/", {"to_school": world.school_b.pk, "reason": "x"}).status_code
        == 404
    )
    teacher = client_for(world.head_teacher_a2)
    assert "申请转学" not in teacher.get(f"/roster/students/{st.pk}/").content.decode()
    r = teacher.post(f"/roster/students/{st.pk}/transfer/", {"to_school": world.school_b.pk, "reason": "x"})
    assert r.status_code == 403
    # missing reason: the service's Chinese message is shown
    r = a.post(f"/roster/students/{st.pk}/transfer/", {"to_school": world.school_b.pk, "reason": ""}, follow=True)
    assert "请填写转学原因" in _messages(r)
    r = a.post(f"/roster/students/{st.pk}/transfer/", {"to_school": world.school_b.pk, "reason": "随父母工作调动"})
    assert r.status_code == 302 and r["Location"] == f"/roster/students/{st.pk}/"
    change = RosterChange.objects.get(student=st, kind=ChangeKind.TRANSFER)
    assert change.status == ChangeStatus.REQUESTED
    # a second request is refused with the service's message
    r = a.post(f"/roster/students/{st.pk}/transfer/", {"to_school": world.school_b.pk, "reason": "再次"}, follow=True)
    assert any("已有未办结的转学申请" in m for m in _messages(r))

    # school B sees it in its inbox; the sending school and the district cannot accept it
    inbox = b.get("/roster/transfers/").content.decode()
    assert st.person.name in inbox and "本校没有七年级的班级，请先建班再接收" in inbox
    target = junior_class_b(world)
    inbox = b.get("/roster/transfers/").content.decode()
    assert "请先建班" not in inbox and "接收" in inbox
    # only classes of the student's 年级 are offered
    assert f'<option value="{target.pk}">' in inbox and f'<option value="{world.class_b1.pk}">' not in inbox
    assert a.post(f"/roster/transfers/{change.pk}/accept/", {"to_class": junior_class_b(world).pk}).status_code == 403
    assert (
        client_for(world.teacher_b)
        .post(f"/roster/transfers/{change.pk}/accept/", {"to_class": junior_class_b(world).pk})
        .status_code
        == 404
    )
    # approving before acceptance: refused with a message
    r = d.post(f"/roster/transfers/{change.pk}/approve/", follow=True)
    assert "转入学校尚未同意接收，不能批准" in _messages(r)
    r = b.post(f"/roster/transfers/{change.pk}/accept/", {"to_class": junior_class_b(world).pk})
    assert r.status_code == 302 and r["Location"] == "/roster/transfers/"
    change.refresh_from_db()
    assert change.status == ChangeStatus.ACCEPTED and change.to_class == junior_class_b(world)

    # the district admin approves; the school admins may not
    assert st.person.name in d.get("/roster/transfers/").content.decode()
    assert b.post(f"/roster/transfers/{change.pk}/approve/").status_code == 403
    assert a.post(f"/roster/transfers/{change.pk}/approve/").status_code == 403
    r = d.post(f"/roster/transfers/{change.pk}/approve/", follow=True)
    assert any("已转入" in m for m in _messages(r))
    st.refresh_from_db()
    change.refresh_from_db()
    assert st.school == world.school_b and st.klass == junior_class_b(world) and st.status == StudentStatus.ENROLLED
    assert change.status == ChangeStatus.DONE

    # the timeline shows every step; school A still sees the transfer in its list, school B now owns the student
    record = b.get(f"/roster/students/{st.pk}/").content.decode()
    for step in ("申请转学", "转入学校同意接收", "区县审批通过", "转入完成"):
        assert step in record
    assert "已完成" in a.get("/roster/transfers/").content.decode()
    assert a.get(f"/roster/students/{st.pk}/").status_code == 404


@pytest.mark.django_db
def test_reject_and_cancel(world):
    a, b = client_for(world.school_admin_a), client_for(world.school_admin_b)
    st = world.student_a2
    a.post(f"/roster/students/{st.pk}/transfer/", {"to_school": world.school_b.pk, "reason": "搬家"})
    change = RosterChange.objects.get(student=st, kind=ChangeKind.TRANSFER)
    assert a.post(f"/roster/transfers/{change.pk}/reject/", {"reason": "x"}).status_code == 403
    assert b.post(f"/roster/transfers/{change.pk}/cancel/").status_code == 403
    r = b.post(f"/roster/transfers/{change.pk}/reject/", {"reason": ""}, follow=True)
    assert "请填写驳回原因" in _messages(r)
    b.post(f"/roster/transfers/{change.pk}/reject/", {"reason": "学位已满"})
    change.refresh_from_db()
    assert change.status == ChangeStatus.REJECTED
    # a new request, cancelled by the sending school from the student page
    a.post(f"/roster/students/{st.pk}/transfer/", {"to_school": world.school_b.pk, "reason": "搬家"})
    second = RosterChange.objects.filter(student=st, kind=ChangeKind.TRANSFER).latest("id")
    assert "撤销申请" in a.get(f"/roster/students/{st.pk}/").content.decode()
    r = a.post(f"/roster/transfers/{second.pk}/cancel/", {"next": "student"})
    assert r["Location"] == f"/roster/students/{st.pk}/"
    second.refresh_from_db()
    assert second.status == ChangeStatus.CANCELLED
    assert "已驳回" in a.get("/roster/transfers/").content.decode()


@pytest.mark.django_db
def test_suspend_resume_and_dropout_follow_up(world):
    a = client_for(world.school_admin_a)
    st = world.student_a2
    a.post(f"/roster/students/{st.pk}/suspend/", {"reason": "病休"})
    st.refresh_from_db()
    assert st.status == StudentStatus.SUSPENDED
    assert "办理复学" in a.get(f"/roster/students/{st.pk}/").content.decode()
    a.post(f"/roster/students/{st.pk}/resume/")
    st.refresh_from_db()
    assert st.status == StudentStatus.ENROLLED
    # 初中 is compulsory: 退学 is refused with the service's message, 辍学 is recorded
    r = a.post(f"/roster/students/{st.pk}/withdraw/", {"kind": "withdraw", "reason": "外出务工"}, follow=True)
    assert any("义务教育阶段学生不能办理退学" in m for m in _messages(r))
    assert (
        client_for(world.school_admin_b)
        .post(f"/roster/students/{st.pk}/withdraw/", {"kind": "dropout", "reason": "x"})
        .status_code
        == 404
    )
    a.post(f"/roster/students/{st.pk}/withdraw/", {"kind": "dropout", "reason": "外出务工"})
    st.refresh_from_db()
    assert st.status == StudentStatus.DROPPED
    change = RosterChange.objects.get(student=st, kind=ChangeKind.DROPOUT)

    page = a.get("/roster/dropouts/").content.decode()
    assert st.person.name in page and "尚未跟进" in page
    assert st.person.name not in client_for(world.school_admin_b).get("/roster/dropouts/").content.decode()
    assert client_for(world.parent1).get("/roster/dropouts/").status_code in (200, 403)
    assert (
        client_for(world.school_admin_b).post(f"/roster/dropouts/{change.pk}/follow-up/", {"note": "x"}).status_code
        == 404
    )
    r = a.post(f"/roster/dropouts/{change.pk}/follow-up/", {"note": ""}, follow=True)
    assert "请填写跟进情况" in _messages(r)
    a.post(f"/roster/dropouts/{change.pk}/follow-up/", {"note": "已家访"})
    page = a.get("/roster/dropouts/").content.decode()
    assert "已家访" in page and "尚未跟进" not in page
    r = a.post(f"/roster/dropouts/{change.pk}/follow-up/", {"note": "今日返校", "returned": "on"})
    assert r.status_code == 302
    st.refresh_from_db()
    assert st.status == StudentStatus.ENROLLED
    assert a.get("/roster/dropouts/").context["rows"] == []


@pytest.mark.django_db
def test_promotion_preview_and_apply(world):
    import roster.page_actions_changes  # noqa: F401  (registers the school page buttons; idempotent)

    a = client_for(world.school_admin_a)
    url = f"/roster/schools/{world.school_a.pk}/promote/"
    assert "升级与毕业" in a.get(f"/org/schools/{world.school_a.pk}/").content.decode()
    assert "升级与毕业" not in client_for(world.teacher_a).get(f"/org/schools/{world.school_a.pk}/").content.decode()
    r = a.get(url)
    preview = r.context["preview"]
    assert preview["promoted"] == 3 and preview["graduated"] == 0 and preview["already_done"] == 0
    page = r.content.decode()
    assert "七年级" in page and "八年级" in page and "执行升级" in page
    # wrong users
    assert client_for(world.school_admin_b).get(url).status_code == 404
    assert client_for(world.teacher_a).get(url).status_code == 403
    assert client_for(world.teacher_a).post(url).status_code == 403
    r = a.post(url)
    assert r.status_code == 200 and r.context["result"]["promoted"] == 3
    assert "本次升级 3 人" in r.content.decode()
    assert RosterChange.objects.filter(kind=ChangeKind.PROMOTE, student__school=world.school_a).count() == 3
    # idempotent: the preview now shows nothing to do, a second run adds nothing
    r = a.post(url)
    assert r.context["result"]["promoted"] == 0 and r.context["result"]["already_done"] == 3
    assert RosterChange.objects.filter(kind=ChangeKind.PROMOTE).count() == 3
    assert "执行升级" not in a.get(url).content.decode()
    # the district admin may run it for any school of the district
    assert client_for(world.district_admin).get(f"/roster/schools/{world.school_b.pk}/promote/").status_code == 200
    assert Student.objects.filter(school=world.school_a, status=StudentStatus.ENROLLED).count() == 3


# --- scope matrix: every page registered, walked like core/tests/test_scope_matrix.py ------------------------


def _cases():
    import roster.scope_cases_changes  # noqa: F401  (registers the cases)
    from core.scope_matrix import CASES

    return [c for c in CASES if c.url_name in URL_NAMES]


def test_every_change_url_has_a_case():
    assert {c.url_name for c in _cases()} == URL_NAMES
    from core.tests.test_scope_matrix import _all_url_names

    assert {n for n in _all_url_names() if n in URL_NAMES} == URL_NAMES


@pytest.mark.django_db
@pytest.mark.parametrize("case", _cases(), ids=lambda c: f"{c.method}:{c.url_name}")
def test_change_pages_scope_matrix(case, world):
    from core.tests import test_scope_matrix as m

    m.test_anonymous_is_sent_to_login(case, world)
    m.test_out_of_scope_user_is_refused(case, world)
    m.test_in_scope_user_gets_through(case, world)


@pytest.mark.django_db
def test_record_page_of_an_imported_student_shows_the_enrolment(world):
    """An import writes 新生入学 with no school before: the timeline shows where the student came in."""
    import random

    from roster.importer import import_roster
    from roster.importer.sample import build_workbook

    result = import_roster(
        data=build_workbook(world.school_a, 3, rng=random.Random(4)),
        filename="新生.xlsx",
        school=world.school_a,
        actor=world.school_admin_a,
    )
    assert result.status == "done"
    change = RosterChange.objects.filter(kind=ChangeKind.ENROL, to_school=world.school_a).latest("id")
    assert change.from_school_id is None
    r = client_for(world.school_admin_a).get(f"/roster/students/{change.student_id}/")
    assert r.status_code == 200
    page = r.content.decode()
    assert "新生入学" in page and f"→ {world.school_a.name}" in page
