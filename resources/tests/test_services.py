"""Upload, review, use and push through resources.services: rows written, who sees what, audit and
notifications, Chinese errors that name the field and write nothing."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import Http404

from core.models import AuditLog, Notification
from resources import limits, services
from resources.models import Level, Push, PushTarget, Resource, ReviewState
from resources.samples import docx_bytes, minimal_pdf, pptx_bytes
from resources.selectors import resources_visible

from .helpers import encrypted_pdf, upload, zip_bomb_docx

pytestmark = pytest.mark.django_db


def visible(user, r) -> bool:
    return resources_visible(user).filter(pk=r.pk).exists()


def test_upload_detects_type_from_content_and_stores_under_generated_name(kworld):
    w = kworld
    data = docx_bytes("有理数的加法", ["教学目标：掌握有理数加法法则", "同号两数相加，取相同的符号"])
    r = upload(w, w.teacher_a, data, filename="../../etc/passwd.pdf", knowledge_points=[w.kp_add], edition=w.edition)
    assert r.file_type == "docx"  # named .pdf, but a Word file
    assert r.original_name == "passwd.docx"
    assert r.file.name.startswith("resources/") and "passwd" not in r.file.name and ".." not in r.file.name
    assert default_storage.open(r.file.name).read() == data
    assert r.level == Level.PERSONAL and r.school_id == w.school_a.pk
    assert "有理数加法法则" in r.extracted_text and r.extract_status == "ok"
    assert "加法" in r.search_text.split()
    assert list(r.knowledge_points.all()) == [w.kp_add]
    assert AuditLog.objects.filter(action="resources.upload", object_id=str(r.pk)).exists()
    # personal: only the owner
    assert visible(w.teacher_a, r)
    assert not visible(w.head_teacher_a1, r)
    assert not visible(w.school_admin_a, r)
    assert not visible(w.district_admin, r)


def test_html_named_pdf_is_refused_with_chinese_message(kworld):
    w = kworld
    with pytest.raises(ValidationError) as exc:
        upload(w, w.teacher_a, b"<html><body><script>alert(1)</script></body></html>", filename="课件.pdf")
    assert "不支持的文件类型" in exc.value.message_dict["file"][0]
    assert Resource.objects.count() == 0


def test_oversize_file_refused(kworld, monkeypatch):
    w = kworld
    monkeypatch.setitem(limits.MAX_SIZE, "pdf", 100)
    with pytest.raises(ValidationError) as exc:
        upload(w, w.teacher_a, minimal_pdf("big lesson"))
    assert "PDF 文档 文件不能超过" in exc.value.message_dict["file"][0]
    assert Resource.objects.count() == 0


def test_quota_exceeded_refused(kworld, monkeypatch):
    w = kworld
    first = minimal_pdf("first")
    upload(w, w.teacher_a, first)
    monkeypatch.setattr(limits, "USER_QUOTA", len(first) + 100)
    with pytest.raises(ValidationError) as exc:
        upload(w, w.teacher_a, minimal_pdf("second lesson plan"), title="第二个")
    assert "超出个人存储空间" in exc.value.message_dict["file"][0]
    assert Resource.objects.filter(owner=w.teacher_a).count() == 1
    # another teacher has their own quota
    upload(w, w.head_teacher_a1, minimal_pdf("second lesson plan"), title="第二个")


def test_duplicate_content_offers_the_existing_item_and_reuses_storage(kworld):
    w = kworld
    data = minimal_pdf("same content")
    r = upload(w, w.teacher_a, data)
    with pytest.raises(services.DuplicateResource) as exc:
        upload(w, w.teacher_a, data, title="又传一次")
    assert exc.value.existing == r
    assert "有理数的加法课件" in exc.value.messages[0]
    # a colleague who cannot see the personal item gets their own row, but the file is stored once
    r2 = upload(w, w.head_teacher_a1, data, title="同样的文件")
    assert r2.file.name == r.file.name
    assert Resource.objects.count() == 2


def test_zip_bomb_docx_is_stored_with_metadata_only(kworld):
    w = kworld
    r = upload(w, w.teacher_a, zip_bomb_docx(), filename="炸弹.docx", title="一份很大的教案")
    assert r.file_type == "docx"
    assert r.extract_status == "refused" and r.extracted_text == ""
    assert "教案" in r.search_title


def test_encrypted_and_truncated_pdf_do_not_crash_extraction(kworld):
    w = kworld
    enc = upload(w, w.teacher_a, encrypted_pdf(), title="加密试卷")
    assert enc.extract_status in ("empty", "failed") and enc.extracted_text == ""
    whole = minimal_pdf("truncated lesson")
    cut = upload(w, w.teacher_a, whole[: len(whole) // 2], title="损坏的讲义")
    assert cut.file_type == "pdf"
    assert cut.extract_status in ("empty", "failed")
    assert Resource.objects.filter(owner=w.teacher_a).count() == 2


def test_extraction_timeout_keeps_metadata(kworld, monkeypatch):
    w = kworld
    monkeypatch.setattr(limits, "EXTRACT_TIMEOUT_SECONDS", 0.001)
    r = upload(w, w.teacher_a, pptx_bytes("有理数", ["加法法则"]), filename="课件.pptx")
    assert r.extract_status == "timeout"
    assert r.file_type == "pptx"


def test_knowledge_point_of_another_subject_refused(kworld):
    w = kworld
    with pytest.raises(ValidationError) as exc:
        upload(w, w.teacher_a, minimal_pdf("x"), knowledge_points=[w.kp_chinese])
    assert "记叙文阅读" in exc.value.message_dict["knowledge_points"][0]
    assert Resource.objects.count() == 0


def test_parent_and_student_cannot_upload(kworld):
    w = kworld
    for user in (w.parent1, w.student_user_a1):
        with pytest.raises(PermissionDenied):
            upload(w, user, minimal_pdf("x"))


def test_review_flow_widens_visibility_step_by_step(kworld):
    w = kworld
    r = upload(w, w.teacher_a, minimal_pdf("flow"), knowledge_points=[w.kp_add])
    services.resource_submit(actor=w.teacher_a, resource=r)
    assert r.review_state == ReviewState.PENDING_SCHOOL
    assert Notification.objects.filter(user=w.school_admin_a, kind="resources.review").exists()
    assert not Notification.objects.filter(user=w.school_admin_b).exists()
    assert visible(w.school_admin_a, r) and not visible(w.school_admin_b, r)
    assert not visible(w.head_teacher_a1, r)
    # school B's admin cannot approve (not even see) it
    with pytest.raises(Http404):
        services.resource_school_approve(actor=w.school_admin_b, resource=r)

    services.resource_school_approve(actor=w.school_admin_a, resource=r)
    assert r.level == Level.SCHOOL
    assert visible(w.head_teacher_a1, r) and visible(w.student_user_a1, r)
    assert not visible(w.teacher_b, r) and not visible(w.district_admin, r)
    assert Notification.objects.filter(user=w.teacher_a, title__contains="通过学校审核").exists()

    services.resource_recommend(actor=w.school_admin_a, resource=r)
    assert r.review_state == ReviewState.PENDING_DISTRICT
    assert visible(w.district_admin, r) and not visible(w.teacher_b, r)
    with pytest.raises(PermissionDenied):
        services.resource_district_approve(actor=w.school_admin_a, resource=r)
    services.resource_district_approve(actor=w.district_admin, resource=r)
    assert r.level == Level.DISTRICT
    assert visible(w.teacher_b, r) and visible(w.student_user_b1, r)
    assert not visible(w.parent1, r)
    actions = list(r.reviews.values_list("action", flat=True))
    assert actions == ["submit", "school_approve", "recommend", "district_approve"]
    audited = set(AuditLog.objects.filter(object_id=str(r.pk)).values_list("action", flat=True))
    assert {
        "resources.submit",
        "resources.school_approve",
        "resources.recommend",
        "resources.district_approve",
    } <= audited


def test_return_needs_reason_and_goes_back_to_owner(kworld):
    w = kworld
    r = upload(w, w.teacher_a, minimal_pdf("return"))
    services.resource_submit(actor=w.teacher_a, resource=r)
    with pytest.raises(ValidationError) as exc:
        services.resource_return(actor=w.school_admin_a, resource=r, reason="  ")
    assert exc.value.message_dict["reason"] == ["请填写退回原因"]
    services.resource_return(actor=w.school_admin_a, resource=r, reason="缺少课后练习")
    r.refresh_from_db()
    assert r.review_state == ReviewState.RETURNED and r.review_note == "缺少课后练习"
    assert Notification.objects.filter(user=w.teacher_a, body="缺少课后练习").exists()
    assert not visible(w.head_teacher_a1, r)
    # fixed and submitted again
    services.resource_submit(actor=w.teacher_a, resource=r)
    assert r.review_state == ReviewState.PENDING_SCHOOL


def test_retire_by_reviewer_of_the_level(kworld):
    w = kworld
    r = upload(w, w.teacher_a, minimal_pdf("retire"))
    services.resource_submit(actor=w.teacher_a, resource=r)
    services.resource_school_approve(actor=w.school_admin_a, resource=r, recommend=True)
    services.resource_district_approve(actor=w.district_admin, resource=r)
    # the school admin is not the district level's reviewer
    with pytest.raises(PermissionDenied):
        services.resource_retire(actor=w.school_admin_a, resource=r, reason="教材改版")
    with pytest.raises(ValidationError):
        services.resource_retire(actor=w.district_admin, resource=r, reason="")
    services.resource_retire(actor=w.district_admin, resource=r, reason="教材改版")
    assert not visible(w.teacher_b, r) and not visible(w.head_teacher_a1, r)
    assert visible(w.teacher_a, r) and visible(w.district_admin, r)
    services.resource_retire(actor=w.district_admin, resource=r, restore=True)
    assert visible(w.teacher_b, r)


def _school_item(w, owner=None, title="有理数的加法课件"):
    r = upload(
        w,
        owner or w.teacher_a,
        minimal_pdf(title.encode("ascii", "ignore").decode() + str(Resource.objects.count())),
        title=title,
    )
    services.resource_submit(actor=r.owner, resource=r)
    services.resource_school_approve(actor=w.school_admin_a, resource=r)
    return r


def test_rating_once_per_user_and_average(kworld):
    w = kworld
    r = _school_item(w)
    services.resource_rate(actor=w.head_teacher_a1, resource=r, stars=5)
    services.resource_rate(actor=w.head_teacher_a2, resource=r, stars=2)
    services.resource_rate(actor=w.head_teacher_a1, resource=r, stars=4)  # changes the first rating
    r.refresh_from_db()
    assert (r.rating_count, r.rating_avg) == (2, 3.0)
    with pytest.raises(ValidationError):
        services.resource_rate(actor=w.head_teacher_a1, resource=r, stars=6)
    with pytest.raises(Http404):
        services.resource_rate(actor=w.teacher_b, resource=r, stars=5)


def test_comment_favorite_download_counts(kworld):
    w = kworld
    r = _school_item(w)
    services.resource_comment(actor=w.head_teacher_a1, resource=r, body="例题很典型")
    assert Notification.objects.filter(user=w.teacher_a, kind="resources.comment").exists()
    services.resource_favorite(actor=w.head_teacher_a1, resource=r)
    services.resource_favorite(actor=w.head_teacher_a1, resource=r)
    services.resource_download_record(actor=w.head_teacher_a1, resource=r)
    services.resource_download_record(actor=w.student_user_a1, resource=r)
    r.refresh_from_db()
    assert (r.favorite_count, r.download_count, r.downloads.count()) == (1, 2, 2)
    with pytest.raises(PermissionDenied):
        services.resource_download_record(actor=w.teacher_b, resource=r)


def test_push_to_class_and_students_mark_done(kworld):
    w = kworld
    r = _school_item(w)
    due = dt.date.today() + dt.timedelta(days=3)
    push = services.push_create(actor=w.teacher_a, resource=r, klass=w.class_a1, due_date=due, note="预习")
    assert set(push.targets.values_list("student_id", flat=True)) == {w.student_a1.pk, w.student_a1b.pk}
    assert Notification.objects.filter(user=w.student_user_a1, kind="resources.push").exists()
    # not a class the teacher teaches
    with pytest.raises(PermissionDenied):
        services.push_create(actor=w.teacher_a, resource=r, klass=w.class_a2, due_date=due)
    with pytest.raises(ValidationError) as exc:
        services.push_create(actor=w.teacher_a, resource=r, klass=w.class_a1, due_date=dt.date(2020, 1, 1))
    assert "完成期限" in exc.value.message_dict["due_date"][0]
    target = push.targets.get(student=w.student_a1)
    with pytest.raises(PermissionDenied):
        services.push_target_done(actor=w.student_user_a2, target=target)
    services.push_target_done(actor=w.student_user_a1, target=target)
    assert PushTarget.objects.filter(push=push, done_at__isnull=False).count() == 1
    assert Push.objects.count() == 1


def test_push_to_students_weak_on_a_knowledge_point(kworld):
    """Latest published exam: items 1–2 tagged 有理数的加法 (10 marks); 周小明 scores 3 (30 %), 吴小红 9 (90 %)."""
    from decimal import Decimal

    from exams.models import Exam, ExamItem, ExamStatus, ExamStudent, ExamSubject, Score

    w = kworld
    r = _school_item(w)
    r.knowledge_points.add(w.kp_add)
    exam = Exam.objects.create(
        district=w.district,
        code="kp-1",
        name="七年级期中",
        term=w.term,
        stage="junior",
        entry_year=w.grade_a.entry_year,
        exam_date=dt.date.today() - dt.timedelta(days=5),
        status=ExamStatus.PUBLISHED,
    )
    es = ExamSubject.objects.create(exam=exam, subject=w.math, full_mark=20)
    ExamItem.objects.create(exam_subject=es, number="1", sort_order=1, full_mark=5, knowledge_points=["有理数的加法"])
    ExamItem.objects.create(exam_subject=es, number="2", sort_order=2, full_mark=5, knowledge_points=["有理数的加法"])
    ExamItem.objects.create(exam_subject=es, number="3", sort_order=3, full_mark=10, knowledge_points=["一元一次方程"])
    for student, items in ((w.student_a1, [1, 2, 10]), (w.student_a1b, [5, 4, 0])):
        cand = ExamStudent.objects.create(exam=exam, student=student, school=w.school_a, klass=w.class_a1)
        Score.objects.create(candidate=cand, exam_subject=es, value=Decimal(sum(items)), items=items)
    push = services.push_create(
        actor=w.teacher_a,
        resource=r,
        klass=w.class_a1,
        due_date=dt.date.today() + dt.timedelta(days=2),
        knowledge_point=w.kp_add,
        weak_only=True,
    )
    assert list(push.targets.values_list("student_id", flat=True)) == [w.student_a1.pk]
    # nobody weak on 有理数的乘法 (no items): a clear message, nothing written
    with pytest.raises(ValidationError) as exc:
        services.push_create(
            actor=w.teacher_a,
            resource=r,
            klass=w.class_a1,
            due_date=dt.date.today() + dt.timedelta(days=2),
            knowledge_point=w.kp_mul,
            weak_only=True,
        )
    assert "低于 60%" in exc.value.message_dict["knowledge_point"][0]
    assert Push.objects.count() == 1


def test_owner_edits_metadata_until_submitted(kworld):
    w = kworld
    r = upload(w, w.teacher_a, minimal_pdf("edit"), title="初稿")
    with pytest.raises(PermissionDenied):
        services.resource_update(actor=w.head_teacher_a1, resource=r, title="别人的")
    services.resource_update(actor=w.teacher_a, resource=r, title="有理数的乘法课件", knowledge_points=[w.kp_mul])
    r.refresh_from_db()
    assert r.title == "有理数的乘法课件" and list(r.knowledge_points.all()) == [w.kp_mul]
    assert "乘法" in r.search_title.split()
    services.resource_submit(actor=w.teacher_a, resource=r)
    with pytest.raises(ValidationError):
        services.resource_update(actor=w.teacher_a, resource=r, title="审核中改标题")
