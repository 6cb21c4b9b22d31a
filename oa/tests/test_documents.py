"""公文: 发文 to schools becomes their 收文; routing for 阅办 with 批示; 已阅 / 已办; tracking; scope."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.testing import login
from oa import services
from oa.models import Document, DocumentRouting, RoutingStatus

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    login(c, user)
    return c


def test_district_issue_reaches_each_school_as_incoming(oaw):
    doc = services.document_issue(
        actor=oaw.district_admin,
        district=oaw.district,
        number="镇教〔2026〕35号",
        title="关于开展冬季校园安全大检查的通知",
        body="请各校开展自查。",
        urgency="urgent",
        attachment=SimpleUploadedFile("检查清单.txt", "消防、用电".encode()),
        to_schools=[oaw.school_a, oaw.school_b],
    )
    copies = {c.school_id: c for c in doc.copies.all()}
    assert set(copies) == {oaw.school_a.pk, oaw.school_b.pk}
    copy_a = copies[oaw.school_a.pk]
    assert copy_a.direction == "in" and copy_a.source_unit == oaw.district.name and copy_a.number == doc.number
    # the copy shares the attachment, downloadable by whoever may open the copy
    assert (
        _client(oaw.school_admin_a)
        .get(f"/oa/docs/{copy_a.pk}/attachment/")["Content-Disposition"]
        .startswith("attachment")
    )
    # school A's admin sees its copy, not school B's, nor the district original
    admin_a = _client(oaw.school_admin_a)
    assert admin_a.get(f"/oa/docs/{copies[oaw.school_b.pk].pk}/").status_code == 404
    assert admin_a.get(f"/oa/docs/{doc.pk}/").status_code == 404
    assert "关于开展冬季校园安全大检查的通知" in admin_a.get("/oa/docs/?tab=in").content.decode()
    # a school cannot issue to other schools; duplicate 文号 refused
    with pytest.raises(ValidationError):
        services.document_issue(
            actor=oaw.school_admin_a,
            district=oaw.district,
            school=oaw.school_a,
            number="蛟中〔2026〕1号",
            title="x",
            to_schools=[oaw.school_b],
        )
    with pytest.raises(ValidationError):
        services.document_issue(
            actor=oaw.district_admin, district=oaw.district, number=doc.number, title="y", to_schools=[oaw.school_a]
        )
    with pytest.raises(PermissionDenied):
        services.document_issue(
            actor=oaw.school_admin_a, district=oaw.district, number="z", title="z", to_schools=[oaw.school_a]
        )


def test_route_read_handle_and_track(oaw):
    doc = services.document_register(
        actor=oaw.school_admin_a,
        school=oaw.school_a,
        number="甬教办〔2026〕12号",
        title="关于做好寒假安全教育的通知",
        source_unit="宁波市教育局办公室",
    )
    with pytest.raises(ValidationError):
        services.document_route(actor=oaw.school_admin_a, document=doc, users=[oaw.teacher_b])
    with pytest.raises(PermissionDenied):
        services.document_route(actor=oaw.teacher_a, document=doc, users=[oaw.head_teacher_a1])
    n = services.document_route(
        actor=oaw.school_admin_a,
        document=doc,
        users=[oaw.teacher_a, oaw.head_teacher_a1],
        instruction="请各班主任落实寒假安全教育",
        needs_action=True,
    )
    assert n == 2
    # routing the same person twice does not duplicate
    assert services.document_route(actor=oaw.school_admin_a, document=doc, users=[oaw.teacher_a]) == 0

    teacher = _client(oaw.teacher_a)
    page = teacher.get("/oa/docs/").content.decode()
    assert "关于做好寒假安全教育的通知" in page and "请各班主任落实寒假安全教育" in page
    # a colleague it was not routed to cannot open it
    assert _client(oaw.head_teacher_a2).get(f"/oa/docs/{doc.pk}/").status_code == 404
    routing = DocumentRouting.objects.get(document=doc, user=oaw.teacher_a)
    teacher.post(f"/oa/routings/{routing.pk}/mark/", {"status": "read"})
    routing.refresh_from_db()
    assert routing.status == RoutingStatus.READ and routing.read_at is not None
    # 已办 needs a note when the document needs action
    with pytest.raises(ValidationError):
        services.routing_mark(actor=oaw.teacher_a, routing=routing, status="done")
    teacher.post(f"/oa/routings/{routing.pk}/mark/", {"status": "done", "note": "已在班会课布置"})
    routing.refresh_from_db()
    assert routing.status == RoutingStatus.DONE and routing.note == "已在班会课布置"
    # someone else cannot mark my routing
    other = DocumentRouting.objects.get(document=doc, user=oaw.head_teacher_a1)
    assert teacher.post(f"/oa/routings/{other.pk}/mark/", {"status": "read"}).status_code == 404

    tracking = _client(oaw.school_admin_a).get(f"/oa/docs/{doc.pk}/").content.decode()
    assert "待阅 1 · 已阅 0 · 已办 1" in tracking
    assert "已在班会课布置" in tracking
    # the reader sees the document but not the tracking table of others
    mine = teacher.get(f"/oa/docs/{doc.pk}/").content.decode()
    assert "阅办情况" not in mine and "王班主任" not in mine


def test_school_issue_to_its_staff(oaw):
    doc = services.document_issue(
        actor=oaw.school_admin_a,
        district=oaw.district,
        school=oaw.school_a,
        number="蛟中〔2026〕8号",
        title="关于调整冬季作息时间的通知",
        to_users=[oaw.teacher_a, oaw.head_teacher_a1],
    )
    assert doc.routings.count() == 2
    assert Document.objects.filter(direction="in").count() == 0
    with pytest.raises(ValidationError):
        services.document_issue(
            actor=oaw.school_admin_a,
            district=oaw.district,
            school=oaw.school_a,
            number="蛟中〔2026〕9号",
            title="x",
            to_users=[oaw.teacher_b],
        )


def test_parents_and_students_see_no_oa(oaw):
    for user in (oaw.parent1, oaw.student_user_a1):
        c = _client(user)
        for url in ("/oa/", "/oa/docs/", "/oa/payslips/", "/oa/delegation/", "/oa/new/leave/"):
            assert c.get(url).status_code == 403, (user, url)
        menu = c.get("/").content.decode()
        assert "行政办公" not in menu


def test_district_admin_issues_from_the_page(oaw):
    c = _client(oaw.district_admin)
    form = c.get("/oa/docs/issue/").content.decode()
    assert oaw.district.name in form and oaw.school_a.name in form and oaw.school_b.name in form
    r = c.post(
        "/oa/docs/issue/",
        {
            "number": "镇教〔2026〕40号",
            "title": "关于举办第五届中小学生运动会的通知",
            "urgency": "normal",
            "body": "定于12月举行。",
            "to_schools": [oaw.school_a.pk],
        },
    )
    doc = Document.objects.get(direction="out")
    assert r.status_code == 302 and r["Location"] == f"/oa/docs/{doc.pk}/"
    page = c.get(r["Location"]).content.decode()
    assert "收文学校" in page and oaw.school_a.name in page and "待分办" in page
    # missing recipients: a Chinese error, nothing written
    r = c.post("/oa/docs/issue/", {"number": "镇教〔2026〕41号", "title": "x", "urgency": "normal"})
    assert "请至少选择一所学校或一位接收人。" in r.content.decode()
    assert Document.objects.filter(direction="out").count() == 1
    # school A's admin finds it among its 收文 and routes it
    admin = _client(oaw.school_admin_a)
    copy = Document.objects.get(direction="in", school=oaw.school_a)
    assert "关于举办第五届中小学生运动会的通知" in admin.get("/oa/docs/?tab=in").content.decode()
    admin.post(f"/oa/docs/{copy.pk}/route/", {"users": [oaw.teacher_a.pk], "instruction": "请体育组落实"})
    assert copy.routings.get().instruction == "请体育组落实"
    assert "已阅 0/1" in c.get(f"/oa/docs/{doc.pk}/").content.decode()
