"""The 学籍 record page's lifecycle actions as users meet them: 调班, 转出本区 with its 转学联系函 (page and
PDF), and 学籍号 assignment — for the school's admin, and refused for everyone else."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from django.test import Client

from core.models import AuditLog, Class, Grade, Student, StudentStatus
from core.testing import login
from roster import services
from roster.exports.common import mask_student_no
from roster.models import ChangeKind, RosterChange
from roster.views.changes import transfer_out_letter

pytestmark = pytest.mark.django_db

TO_DISTRICT, TO_SCHOOL = "宁波市北仑区", "北仑区顾国和中学"


def client_for(user) -> Client:
    c = Client()
    login(c, user)
    return c


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def state(student: Student) -> tuple:
    """Everything a refused request must leave alone."""
    st = Student.objects.get(pk=student.pk)
    changes = list(RosterChange.objects.filter(student=st).order_by("pk").values_list("pk", "status", "timeline"))
    return (st.school_id, st.klass_id, st.status, st.student_no, st.archived_at, changes, AuditLog.objects.count())


def record_url(st) -> str:
    return f"/roster/students/{st.pk}/"


def move(client, st, klass, reason="家长申请，与同学结对学习", **kw):
    return client.post(f"/roster/students/{st.pk}/move-class/", {"to_class": klass.pk, "reason": reason}, **kw)


def transfer_out(client, st, district=TO_DISTRICT, school=TO_SCHOOL, reason="随父母工作调动", **kw):
    data = {"to_district_name": district, "to_school_name": school, "reason": reason}
    return client.post(f"/roster/students/{st.pk}/transfer-out/", data, **kw)


def number(client, st, temporary=False, **kw):
    return client.post(f"/roster/students/{st.pk}/number/", {"temporary": "1" if temporary else "0"}, **kw)


def section(html: str, testid: str, end: str = "</form>") -> str:
    """The part of ``html`` from the element with ``data-testid=testid`` to its closing ``end`` tag."""
    return html.split(f'data-testid="{testid}"')[1].split(end)[0]


def pdf_text(content: bytes, tmp_path) -> str | None:
    if shutil.which("pdftotext") is None:
        return None
    path = tmp_path / "letter.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout


# --- the page -------------------------------------------------------------------------------------------------


def test_admin_sees_the_new_actions_others_do_not(world):
    w = world
    page = client_for(w.school_admin_a).get(record_url(w.student_a2)).content.decode()
    for text in ("调班", "办理调班", "转出本区", "办理转出", "生成学籍号", "生成临时学籍号 (L)"):
        assert text in page, text
    assert w.student_a2.student_no_masked in page and w.student_a2.student_no not in page
    # the 调班 choices: the other classes of the grade, not the current one
    form = section(page, "move-class-form")
    assert f'<option value="{w.class_a1.pk}">' in form and f'<option value="{w.class_a2.pk}">' not in form
    for user in (w.head_teacher_a2, w.parent2, w.auditor):
        response = client_for(user).get(record_url(w.student_a2))
        if response.status_code == 200:
            html = response.content.decode()
            assert "办理调班" not in html and "办理转出" not in html and "生成学籍号" not in html


def test_move_class_choices_exclude_archived_and_other_grades(world):
    w = world
    archived = Class.objects.create(school=w.school_a, grade=w.grade_a, number=3, archived_at=dt.datetime.now(dt.UTC))
    other_grade = Grade.objects.create(school=w.school_a, stage="junior", entry_year=w.grade_a.entry_year - 1)
    older = Class.objects.create(school=w.school_a, grade=other_grade, number=1)
    open_third = Class.objects.create(school=w.school_a, grade=w.grade_a, number=4)
    page = section(client_for(w.school_admin_a).get(record_url(w.student_a2)).content.decode(), "move-class-form")
    options = {k.pk: f'<option value="{k.pk}">' in page for k in (w.class_a1, open_third, archived, older, w.class_b1)}
    assert options == {
        w.class_a1.pk: True,
        open_third.pk: True,
        archived.pk: False,
        older.pk: False,
        w.class_b1.pk: False,
    }


# --- 调班 -----------------------------------------------------------------------------------------------------


def test_move_class_as_school_admin(world):
    w = world
    st = w.student_a2
    a = client_for(w.school_admin_a)
    r = move(a, st, w.class_a1)
    assert r.status_code == 302 and r["Location"] == record_url(st)
    st.refresh_from_db()
    assert st.klass == w.class_a1 and st.class_no is None and st.status == StudentStatus.ENROLLED
    change = RosterChange.objects.get(student=st, kind=ChangeKind.PLACE)
    assert (change.from_class, change.to_class, change.reason) == (w.class_a2, w.class_a1, "家长申请，与同学结对学习")
    assert change.requested_by == w.school_admin_a
    audit = AuditLog.objects.get(action="rosterchange.move_class")
    assert audit.actor == w.school_admin_a and audit.object_id == str(change.pk)
    assert audit.changes["student"]["klass"] == [w.class_a2.pk, w.class_a1.pk]

    r = a.get(record_url(st))
    assert f"已将{st.person.name}调入{w.class_a1}" in _messages(r)
    timeline = section(r.content.decode(), "timeline", "</ul>")
    # named by what happened (调班, not 分班 or the raw step name), with the classes
    assert "<strong>调班</strong>" in timeline and "分班" not in timeline and "move_class" not in timeline
    assert f"{w.class_a2} → {w.class_a1}" in timeline


def test_district_admin_may_move_class(world):
    w = world
    r = move(client_for(w.district_admin), w.student_a1, w.class_a2)
    assert r.status_code == 302
    w.student_a1.refresh_from_db()
    assert w.student_a1.klass == w.class_a2


def test_move_class_bad_input_writes_nothing(world):
    w = world
    st = w.student_a2
    a = client_for(w.school_admin_a)
    other_grade = Grade.objects.create(school=w.school_a, stage="junior", entry_year=w.grade_a.entry_year - 1)
    older = Class.objects.create(school=w.school_a, grade=other_grade, number=1)
    archived = Class.objects.create(school=w.school_a, grade=w.grade_a, number=3, archived_at=dt.datetime.now(dt.UTC))
    before = state(st)
    cases = [
        (move(a, st, older, follow=True), f"调班只能在同一年级内进行，请选择{w.grade_a.label()}的班级"),
        (move(a, st, w.class_b1, follow=True), "只能调入本校的班级"),
        (move(a, st, w.class_a1, reason="  ", follow=True), "请填写调班原因"),
        (move(a, st, w.class_a2, follow=True), f"{st.person.name}已在{w.class_a2}"),
        (move(a, st, archived, follow=True), f"{archived} 已归档"),
        (
            a.post(f"/roster/students/{st.pk}/move-class/", {"to_class": "", "reason": "x"}, follow=True),
            "请选择调入班级",
        ),
        (
            a.post(f"/roster/students/{st.pk}/move-class/", {"to_class": "99999", "reason": "x"}, follow=True),
            "请选择调入班级",
        ),
    ]
    for response, message in cases:
        assert response.status_code == 200
        assert message in _messages(response), (message, _messages(response))
    assert state(st) == before


def test_move_class_only_for_enrolled(world):
    w = world
    st = w.student_a2
    services.student_suspend(actor=w.school_admin_a, student=st, reason="病休")
    a = client_for(w.school_admin_a)
    assert "办理调班" not in a.get(record_url(st)).content.decode()
    before = state(st)
    r = move(a, st, w.class_a1, follow=True)
    assert any("只有在读学生可以调班" in m for m in _messages(r))
    assert state(st) == before


# --- refused users, for every new write --------------------------------------------------------------------

WRITES = {
    "move": lambda c, w: move(c, w.student_a2, w.class_a1),
    "transfer_out": lambda c, w: transfer_out(c, w.student_a2),
    "number": lambda c, w: number(c, w.student_a2, temporary=True),
}


@pytest.mark.parametrize("action", sorted(WRITES))
@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 302),
        ("school_admin_b", 404),
        ("teacher_b", 404),
        ("teacher_a", 404),  # teaches another class of the school
        ("head_teacher_a2", 403),  # the student's own head teacher: sees the record, may not act
        ("parent2", 403),
        ("student_user_a2", 403),
        ("auditor", 404),
    ],
)
def test_refused_users_write_nothing(world, action, who, status):
    w = world
    client = Client() if who is None else client_for(getattr(w, who))
    before = state(w.student_a2)
    r = WRITES[action](client, w)
    assert r.status_code == status
    if who is None:
        assert r["Location"].startswith("/account/login/")
    assert state(w.student_a2) == before


def test_get_is_not_allowed(world):
    a = client_for(world.school_admin_a)
    for path in ("move-class", "transfer-out", "number"):
        assert a.get(f"/roster/students/{world.student_a2.pk}/{path}/").status_code == 405


# --- 转出本区 and the 转学联系函 ----------------------------------------------------------------------------------


def test_transfer_out_letter_page_and_pdf(world, tmp_path):
    w = world
    st = w.student_a2
    person = st.person
    person.ethnicity = "03"
    person.save()
    w.school_a.address = "宁波市镇海区蛟川街道俞范东路1号"
    w.school_a.phone = "0574-86250000"
    w.school_a.save()
    a = client_for(w.school_admin_a)

    r = transfer_out(a, st)
    change = RosterChange.objects.get(student=st, kind=ChangeKind.TRANSFER_OUT)
    letter_url = f"/roster/changes/{change.pk}/letter/"
    assert r.status_code == 302 and r["Location"] == letter_url
    st.refresh_from_db()
    assert st.status == StudentStatus.TRANSFERRED and st.archived_at is not None and st.school == w.school_a
    assert change.from_school == w.school_a and change.from_class == w.class_a2 and change.reason == "随父母工作调动"
    assert AuditLog.objects.filter(action="rosterchange.transfer_out", actor=w.school_admin_a).count() == 1

    r = a.get(letter_url)
    assert r.status_code == 200
    assert f"已办理{person.name}转出本区，请打印转学联系函交学生家长" in _messages(r)
    html = r.content.decode()
    for text in (
        "学生转学联系函",
        person.name,
        "男",
        person.birth_date.strftime("%Y-%m-%d"),
        "回族",
        str(w.class_a2),
        st.student_no,  # the full 学籍号, for the receiving school
        w.school_a.name,
        w.school_a.code,
        w.school_a.address,
        w.school_a.phone,
        TO_DISTRICT + TO_SCHOOL,
        "随父母工作调动",
        "张校长",  # handled by
        "转学联系函回执",
        "接收学校意见",
        "接收学校（盖章）",
        st.student_no_masked,  # the receipt carries the masked number only
    ):
        assert text in html, text
    assert 'style="' not in html and "<script>" not in html  # CSP: no inline styles or scripts
    assert AuditLog.objects.filter(action="roster.view_transfer_letter", actor=w.school_admin_a).count() == 1

    r = a.get(f"/roster/changes/{change.pk}/letter.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"].startswith("attachment")
    assert r.content.startswith(b"%PDF")
    text = pdf_text(r.content, tmp_path)
    if text is not None:
        for part in (person.name, st.student_no, "学生转学联系函", "回族", "接收学校意见"):
            assert part in text, part
    audit = AuditLog.objects.get(action="roster.print_transfer_letter")
    assert audit.actor == w.school_admin_a and audit.object_id == str(change.pk)
    assert st.person.id_number not in str(audit.changes)

    # the record page: timeline entry named and routed, links to the letter; no more actions for the student
    page = a.get(record_url(st)).content.decode()
    timeline = section(page, "timeline", "</ul>")
    assert "<strong>转出本区</strong>" in timeline
    assert f"{w.school_a.name} → {TO_DISTRICT}{TO_SCHOOL}" in timeline
    assert letter_url in timeline and f"/roster/changes/{change.pk}/letter.pdf" in timeline
    assert "办理转出" not in page and "办理调班" not in page and "生成学籍号" not in page


def test_letter_is_the_services_letter(world):
    """Re-derived later from the change and the student, the letter says what transfer_out returned."""
    w = world
    st = w.student_a1
    returned = services.transfer_out(
        actor=w.district_admin, student=st, to_district_name=TO_DISTRICT, to_school_name=TO_SCHOOL, reason="搬家"
    )
    change = RosterChange.objects.select_related("student__person", "from_school__district", "from_class__grade").get(
        pk=returned["change_id"]
    )
    letter = transfer_out_letter(change)
    for key in (
        "change_id",
        "student_name",
        "gender",
        "student_no",
        "student_no_masked",
        "from_district",
        "from_school",
        "from_school_code",
        "grade",
        "klass",
        "reason",
    ):
        assert letter[key] == returned[key], key
    assert letter["date"].isoformat() == returned["date"]
    assert letter["birth_date"].isoformat() == returned["birth_date"]
    assert letter["to"] == returned["to_district_name"] + returned["to_school_name"]
    assert letter["handled_by"] == "区管理员"


def test_transfer_out_bad_input_writes_nothing(world):
    w = world
    st = w.student_a2
    a = client_for(w.school_admin_a)
    before = state(st)
    for kwargs, message in [
        ({"district": " "}, "请填写转入区县"),
        ({"school": ""}, "请填写转入学校"),
        ({"reason": ""}, "请填写转学原因"),
        ({"reason": "长" * 201}, "转学原因不能超过 200 字"),
    ]:
        r = transfer_out(a, st, follow=True, **kwargs)
        assert r.redirect_chain[-1][0] == record_url(st)
        assert message in _messages(r), (message, _messages(r))
    assert state(st) == before
    # an open 区内 transfer blocks it
    a.post(f"/roster/students/{st.pk}/transfer/", {"to_school": w.school_b.pk, "reason": "搬家"})
    before = state(st)
    r = transfer_out(a, st, follow=True)
    assert any("未办结的区内转学申请" in m for m in _messages(r))
    assert state(st) == before


def test_suspended_student_may_transfer_out(world):
    w = world
    st = w.student_a2
    services.student_suspend(actor=w.school_admin_a, student=st, reason="病休")
    a = client_for(w.school_admin_a)
    assert "办理转出" in a.get(record_url(st)).content.decode()
    assert transfer_out(a, st).status_code == 302
    st.refresh_from_db()
    assert st.status == StudentStatus.TRANSFERRED


@pytest.fixture
def moved_out(world):
    letter = services.transfer_out(
        actor=world.school_admin_a,
        student=world.student_a2,
        to_district_name=TO_DISTRICT,
        to_school_name=TO_SCHOOL,
        reason="随父母工作调动",
    )
    return RosterChange.objects.get(pk=letter["change_id"])


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("school_admin_a", 200),  # did the transfer
        ("district_admin", 200),  # the former school's district
        ("school_admin_b", 404),
        ("teacher_a", 404),
        ("teacher_b", 404),
        ("head_teacher_a2", 403),  # sees the change on the timeline, but not the letter
        ("parent2", 404),  # a student who left: the family's and the pupil's own grants end
        ("student_user_a2", 404),
        ("auditor", 404),
    ],
)
def test_letter_access(world, moved_out, who, status):
    w = world
    client = client_for(getattr(w, who))
    audits = AuditLog.objects.count()
    page = client.get(f"/roster/changes/{moved_out.pk}/letter/")
    pdf = client.get(f"/roster/changes/{moved_out.pk}/letter.pdf")
    assert (page.status_code, pdf.status_code) == (status, status)
    if status == 200:
        assert w.student_a2.student_no in page.content.decode() and pdf.content.startswith(b"%PDF")
        assert AuditLog.objects.count() == audits + 2
    else:
        assert w.student_a2.student_no not in page.content.decode() + pdf.content.decode(errors="ignore")
        assert AuditLog.objects.count() == audits
    # the timeline offers the letter exactly to those who may open it
    record = client.get(record_url(w.student_a2))
    if record.status_code == 200:
        assert (f"/roster/changes/{moved_out.pk}/letter/" in record.content.decode()) == (status == 200)


def test_letter_anonymous_and_other_kinds(world, moved_out):
    w = world
    for suffix in ("letter/", "letter.pdf"):
        r = Client().get(f"/roster/changes/{moved_out.pk}/{suffix}")
        assert r.status_code == 302 and r["Location"].startswith("/account/login/")
    # only a 转出本区 has a letter
    other = services.student_suspend(actor=w.school_admin_a, student=w.student_a1, reason="病休")
    a = client_for(w.school_admin_a)
    assert a.get(f"/roster/changes/{other.pk}/letter/").status_code == 404
    assert a.get(f"/roster/changes/{other.pk}/letter.pdf").status_code == 404


def test_letter_stays_with_the_actor(world):
    """The admin who did the transfer keeps access to their letter, also as a district admin acting for a
    school; another school's admin of the same district never gets it."""
    w = world
    letter = services.transfer_out(
        actor=w.district_admin, student=w.student_a1, to_district_name=TO_DISTRICT, to_school_name=TO_SCHOOL, reason="x"
    )
    url = f"/roster/changes/{letter['change_id']}/letter/"
    assert client_for(w.district_admin).get(url).status_code == 200
    assert client_for(w.school_admin_a).get(url).status_code == 200  # the former school's admin
    assert client_for(w.school_admin_b).get(url).status_code == 404


# --- 学籍号 ----------------------------------------------------------------------------------------------------


def test_number_assign_g_and_l(world):
    w = world
    st = w.student_a2
    expected = "G" + st.person.id_number
    a = client_for(w.school_admin_a)

    # already right: nothing written, the user is told so
    before = state(st)
    r = number(a, st, follow=True)
    assert f"学籍号无需变更：{st.student_no_masked}" in _messages(r)
    assert state(st) == before

    st.student_no = "L3302112013070100001"
    st.save()
    r = number(a, st, follow=True)
    st.refresh_from_db()
    assert st.student_no == expected
    assert f"已生成学籍号：{st.student_no_masked}" in _messages(r)
    html = r.content.decode()
    assert st.student_no_masked in html and st.person.id_number not in html
    change = RosterChange.objects.get(student=st, kind=ChangeKind.NUMBER)
    assert change.timeline[0]["rule"] == "G" and st.person.id_number not in str(change.timeline)
    assert AuditLog.objects.filter(action="rosterchange.number", actor=w.school_admin_a).count() == 1
    timeline = section(html, "timeline", "</ul>")
    assert "<strong>学籍号分配</strong>" in timeline and f"{mask_student_no('L3302112013070100001')} → " in timeline

    # a G number is never replaced by a temporary L number
    before = state(st)
    r = number(a, st, temporary=True, follow=True)
    assert f"{st.person.name}已有正式学籍号，不能改为临时学籍号" in _messages(r)
    assert state(st) == before
    assert RosterChange.objects.filter(student=st, kind=ChangeKind.NUMBER).count() == 1

    Student.objects.filter(pk=st.pk).update(student_no="", student_no_index=None)
    r = number(a, st, temporary=True, follow=True)
    st.refresh_from_db()
    assert st.student_no.startswith("L330211" + st.person.birth_date.strftime("%Y%m%d"))
    assert f"已生成临时学籍号：{st.student_no_masked}" in _messages(r)
    assert RosterChange.objects.filter(student=st, kind=ChangeKind.NUMBER).count() == 2


def test_number_assign_error(world):
    w = world
    st = w.student_a2
    person = st.person
    person.id_type = "9"
    person.id_number = ""
    person.birth_date = None
    person.save()
    a = client_for(w.school_admin_a)
    before = state(st)
    r = number(a, st, follow=True)
    assert f"{person.name}没有出生日期，无法生成学籍号" in _messages(r)
    assert state(st) == before
