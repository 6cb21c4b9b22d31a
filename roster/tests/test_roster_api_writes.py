"""学籍 API writes (/api/v1/roster/...): 转学 end to end, 休学/复学, 调班, 退学/辍学, 学籍号, 升级 — each as
anonymous, out-of-scope and in-scope user, and with bad input (nothing written)."""

import json

import pytest
from django.test import Client

from core.models import AuditLog, Class, Student
from core.testing import junior_class_b, login
from roster.models import ChangeKind, ChangeStatus, RosterChange

pytestmark = [pytest.mark.django_db]
P = "/api/v1/roster"


def client_for(user) -> Client:
    c = Client()
    login(c, user)
    return c


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def written():
    return (RosterChange.objects.count(), AuditLog.objects.filter(action__startswith="roster").count())


def test_transfer_end_to_end_through_the_api(world):
    w = world
    st = w.student_a1
    r = post(
        client_for(w.school_admin_a), f"{P}/transfers", {"student": st.pk, "to_school": w.school_b.pk, "reason": "搬家"}
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["kind"], body["status"], body["to_school"]["name"]) == ("transfer", "requested", w.school_b.name)
    cid = body["id"]

    target = junior_class_b(w)
    r = post(client_for(w.school_admin_b), f"{P}/changes/{cid}/accept", {"to_class": target.pk})
    assert r.status_code == 200 and r.json()["status"] == "accepted" and r.json()["to_class"]["id"] == target.pk

    # school A cannot approve its own transfer; the district can
    assert post(client_for(w.school_admin_a), f"{P}/changes/{cid}/approve").status_code == 403
    r = post(client_for(w.district_admin), f"{P}/changes/{cid}/approve")
    assert r.status_code == 200 and r.json()["status"] == "done"
    st.refresh_from_db()
    assert (st.school_id, st.klass_id) == (w.school_b.pk, target.pk)
    assert AuditLog.objects.filter(action="rosterchange.transfer_approve", object_id=str(cid)).count() == 1


def test_transfer_request_denied_and_bad_input_write_nothing(world):
    w = world
    before = written()
    url = f"{P}/transfers"
    payload = {"student": w.student_a1.pk, "to_school": w.school_b.pk, "reason": "搬家"}
    assert post(Client(), url, payload).status_code == 401
    assert post(client_for(w.school_admin_b), url, payload).status_code == 404  # another school's student
    assert post(client_for(w.teacher_a), url, payload).status_code == 403  # sees the student, may not move them
    assert post(client_for(w.parent1), url, payload).status_code == 403
    r = post(client_for(w.school_admin_a), url, {**payload, "reason": "  "})
    assert r.status_code == 422 and "转学原因" in r.json()["detail"]
    r = post(client_for(w.school_admin_a), url, {**payload, "to_school": 999999})
    assert r.status_code == 404 and "转入学校" in r.json()["detail"]
    r = client_for(w.school_admin_a).post(url, "{not json", content_type="application/json")
    assert r.status_code == 400
    assert written() == before


def test_accept_into_a_class_of_another_school_is_404(world):
    w = world
    ch = post(
        client_for(w.school_admin_a),
        f"{P}/transfers",
        {"student": w.student_a1.pk, "to_school": w.school_b.pk, "reason": "x"},
    ).json()
    r = post(client_for(w.school_admin_b), f"{P}/changes/{ch['id']}/accept", {"to_class": w.class_a2.pk})
    assert r.status_code == 404
    # a class of the receiving school but of another 年级
    r = post(client_for(w.school_admin_b), f"{P}/changes/{ch['id']}/accept", {"to_class": w.class_b1.pk})
    assert r.status_code == 422 and "七年级" in r.json()["detail"]
    assert RosterChange.objects.get(pk=ch["id"]).status == ChangeStatus.REQUESTED
    # a parent of another family does not see the change at all
    assert post(client_for(w.parent2), f"{P}/changes/{ch['id']}/cancel").status_code in (403, 404)
    r = post(client_for(w.school_admin_a), f"{P}/changes/{ch['id']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"


def test_suspend_resume_move_withdraw(world):
    w = world
    st = w.student_a1
    admin = client_for(w.school_admin_a)
    r = post(admin, f"{P}/students/{st.pk}/suspend", {"reason": "因病休养", "until": "2027-02-01"})
    assert r.status_code == 201 and r.json()["kind"] == ChangeKind.SUSPEND
    assert Student.objects.get(pk=st.pk).status == "suspended"
    r = post(admin, f"{P}/students/{st.pk}/resume", {})
    assert r.status_code == 201 and Student.objects.get(pk=st.pk).status == "enrolled"

    r = post(admin, f"{P}/students/{st.pk}/move-class", {"to_class": w.class_a2.pk, "reason": "家长申请"})
    assert r.status_code == 201 and Student.objects.get(pk=st.pk).klass_id == w.class_a2.pk
    r = post(admin, f"{P}/students/{st.pk}/move-class", {"to_class": w.class_b1.pk, "reason": "x"})
    assert r.status_code == 404  # a class of another school

    assert post(client_for(w.school_admin_b), f"{P}/students/{st.pk}/withdraw", {"reason": "x"}).status_code == 404
    assert post(
        client_for(w.head_teacher_a1), f"{P}/students/{w.student_a2.pk}/withdraw", {"reason": "x"}
    ).status_code in (
        403,
        404,
    )
    r = post(admin, f"{P}/students/{st.pk}/withdraw", {"kind": "dropout", "reason": "外出务工"})
    assert r.status_code == 201 and r.json()["kind"] == "dropout"
    assert Student.objects.get(pk=st.pk).status == "dropped"
    r = post(admin, f"{P}/students/{w.student_a2.pk}/withdraw", {"kind": "expelled", "reason": "x"})
    assert r.status_code == 422


def test_student_number_assignment(world):
    w = world
    st = w.student_a1
    Student.objects.filter(pk=st.pk).update(student_no="", student_no_index=None)
    assert post(Client(), f"{P}/students/{st.pk}/number").status_code == 401
    assert post(client_for(w.teacher_a), f"{P}/students/{st.pk}/number").status_code == 403
    r = post(client_for(w.school_admin_a), f"{P}/students/{st.pk}/number", {})
    assert r.status_code == 200
    st.refresh_from_db()
    assert st.student_no == "G" + st.person.id_number
    assert r.json() == {"student": st.pk, "student_no_masked": st.student_no_masked}
    assert "*" in r.json()["student_no_masked"]
    r = post(client_for(w.school_admin_a), f"{P}/students/{st.pk}/number", {"temporary": True})
    assert r.status_code == 422 and "已有正式学籍号" in r.json()["detail"]
    Student.objects.filter(pk=st.pk).update(student_no="", student_no_index=None)
    r = post(client_for(w.school_admin_a), f"{P}/students/{st.pk}/number", {"temporary": True})
    st.refresh_from_db()
    assert r.status_code == 200 and st.student_no.startswith("L")


def test_promotion_preview_then_run(world):
    w = world
    year = w.term.academic_year.start_year + 1
    url = f"{P}/schools/{w.school_a.pk}/promote"
    assert post(client_for(w.school_admin_b), url, {"to_start_year": year}).status_code == 404
    assert post(client_for(w.teacher_a), url, {"to_start_year": year}).status_code == 403
    before = written()
    preview = post(client_for(w.school_admin_a), url, {"to_start_year": year, "dry_run": True})
    assert preview.status_code == 200 and written() == before
    enrolled = Student.objects.filter(school=w.school_a, status="enrolled").count()
    assert preview.json()["promoted"] == enrolled > 0
    r = post(client_for(w.school_admin_a), url, {"to_start_year": year})
    assert r.status_code == 200 and r.json()["promoted"] == enrolled
    assert RosterChange.objects.filter(kind=ChangeKind.PROMOTE, from_school=w.school_a).count() == enrolled
    again = post(client_for(w.school_admin_a), url, {"to_start_year": year}).json()
    assert again["promoted"] == 0 and again["already_done"] == enrolled
    assert Class.objects.filter(school=w.school_a).count() == 2
