"""The pages as users see them: upload form, search, resource page, file responses, review queue, tasks and
statistics."""

import datetime as dt
import io
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from core.models import AuditLog
from core.testing import login
from resources import services
from resources.models import Level, Resource
from resources.samples import docx_bytes, png_bytes
from resources.testing import make_resource, matrix

from .helpers import plain_zip

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    login(c, user)
    return c


def test_upload_page_stores_a_tagged_resource(kworld):
    w = kworld
    c = client_for(w.teacher_a)
    page = c.get(reverse("resources:upload"), {"stage": "junior", "subject": w.math.pk})
    assert "有理数的加法" in page.content.decode()  # the knowledge points of 初中数学 are offered
    f = io.BytesIO(docx_bytes("有理数的加法", ["教学目标"]))
    f.name = "有理数的加法 教案.docx"
    response = c.post(
        reverse("resources:upload"),
        {
            "file": f,
            "title": "有理数的加法教学设计",
            "kind": "lesson_plan",
            "stage": "junior",
            "subject": w.math.pk,
            "grade_label": "七年级",
            "edition": w.edition.pk,
            "knowledge_points": [w.kp_add.pk],
            "tags": "新授课 公开课",
        },
    )
    r = Resource.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("resources:detail", args=[r.pk])
    assert (r.file_type, r.edition, list(r.knowledge_points.all())) == ("docx", w.edition, [w.kp_add])
    detail = c.get(response["Location"]).content.decode()
    assert "有理数的加法教学设计" in detail and "提交学校审核" in detail and "#公开课" in detail


def test_upload_page_names_the_bad_file_and_writes_nothing(kworld):
    w = kworld
    f = io.BytesIO(b"<html><script>alert(1)</script></html>")
    f.name = "课件.pdf"
    response = client_for(w.teacher_a).post(
        reverse("resources:upload"),
        {"file": f, "title": "假的 PDF", "kind": "courseware", "stage": "junior", "subject": w.math.pk},
    )
    assert response.status_code == 200
    assert "不支持的文件类型" in response.content.decode()
    assert Resource.objects.count() == 0


def test_knowledge_options_follow_the_chosen_subject(kworld):
    w = kworld
    c = client_for(w.teacher_a)
    math = c.get(reverse("resources:knowledge_options"), {"stage": "junior", "subject": w.math.pk}).content.decode()
    chinese = c.get(
        reverse("resources:knowledge_options"), {"stage": "junior", "subject": w.chinese.pk}
    ).content.decode()
    assert "有理数的加法" in math and "记叙文阅读" not in math
    assert "记叙文阅读" in chinese and "有理数的加法" not in chinese


def test_download_is_an_attachment_with_a_safe_utf8_name_and_is_counted(world):
    w = matrix(world)
    response = client_for(w.head_teacher_a1).get(reverse("resources:download", args=[w.res_school.pk]))
    cd = response["Content-Disposition"]
    assert cd.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(w.res_school.original_name)}" in cd
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    w.res_school.refresh_from_db()
    assert w.res_school.download_count == 1
    assert AuditLog.objects.filter(action="resources.download", object_id=str(w.res_school.pk)).exists()
    assert client_for(w.teacher_b).get(reverse("resources:download", args=[w.res_school.pk])).status_code == 404


def test_inline_preview_is_sandboxed_and_only_for_safe_types(world):
    w = matrix(world)
    c = client_for(w.head_teacher_a1)
    response = c.get(reverse("resources:inline", args=[w.res_school.pk]))
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    png = make_resource(
        w,
        owner=w.teacher_a,
        school=w.school_a,
        level=Level.SCHOOL,
        title="数轴图",
        kind="material",
        data=png_bytes(3),
        ext="png",
    )
    img = c.get(reverse("resources:inline", args=[png.pk]))
    assert img["Content-Type"] == "image/png" and img["Content-Security-Policy"].startswith("sandbox")
    z = make_resource(
        w,
        owner=w.teacher_a,
        school=w.school_a,
        level=Level.SCHOOL,
        title="素材包",
        kind="material",
        data=plain_zip(),
        ext="zip",
    )
    assert c.get(reverse("resources:inline", args=[z.pk])).status_code == 404
    assert c.get(reverse("resources:download", args=[z.pk]))["Content-Disposition"].startswith("attachment")
    page = c.get(reverse("resources:detail", args=[z.pk])).content.decode()
    assert "该类型不能在线预览" in page


def test_search_page_finds_and_counts_facets(world):
    w = matrix(world)
    make_resource(
        w, owner=w.teacher_a, school=w.school_a, level=Level.SCHOOL, title="一元一次方程应用题专项练习", kind="paper"
    )
    c = client_for(w.head_teacher_a1)
    page = c.get(reverse("resources:browse"), {"q": "有理数 加法"}).content.decode()
    assert "有理数的加法课件" in page and "一元一次方程应用题" not in page
    assert "共 1 个资源" in page
    partial = c.get(reverse("resources:browse"), {"q": "方程"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    body = partial.content.decode()
    assert "一元一次方程应用题专项练习" in body and "<html" not in body
    facets = c.get(reverse("resources:browse"), {"kind": "paper"}).content.decode()
    assert "试卷 1" in facets


def test_review_queue_and_actions_from_the_page(world):
    w = matrix(world)
    c = client_for(w.school_admin_a)
    queue = c.get(reverse("resources:review")).content.decode()
    assert "一元一次方程教案" in queue
    detail = c.get(reverse("resources:detail", args=[w.res_pending.pk])).content.decode()
    assert "学校审核通过" in detail and "退回" in detail
    # the owner's colleague sees no review buttons (and the item is not visible to them yet)
    assert client_for(w.teacher_a).get(reverse("resources:detail", args=[w.res_pending.pk])).status_code == 404
    response = c.post(reverse("resources:action", args=[w.res_pending.pk, "return"]), {"reason": ""}, follow=True)
    assert "请填写退回原因" in response.content.decode()
    c.post(reverse("resources:action", args=[w.res_pending.pk, "school_approve"]), {"recommend": "1"})
    w.res_pending.refresh_from_db()
    assert (w.res_pending.level, w.res_pending.review_state) == ("school", "pending_district")
    dq = client_for(w.district_admin).get(reverse("resources:review")).content.decode()
    assert "一元一次方程教案" in dq


def test_rate_comment_favorite_from_the_page(world):
    w = matrix(world)
    c = client_for(w.head_teacher_a1)
    c.post(reverse("resources:rate", args=[w.res_school.pk]), {"stars": "5"})
    c.post(reverse("resources:comment", args=[w.res_school.pk]), {"body": "很实用"})
    c.post(reverse("resources:favorite", args=[w.res_school.pk]), {"on": "1"})
    page = c.get(reverse("resources:detail", args=[w.res_school.pk])).content.decode()
    assert "5.0（1 人评分）" in page and "很实用" in page and "已收藏" in page
    mine = c.get(reverse("resources:mine")).content.decode()
    assert "我的收藏" in mine and "有理数的加法课件" in mine


def test_push_from_the_page_and_students_finish_tasks(world):
    w = matrix(world)
    c = client_for(w.teacher_a)
    due = (dt.date.today() + dt.timedelta(days=4)).isoformat()
    response = c.post(
        reverse("resources:push", args=[w.res_school.pk]),
        {"klass": w.class_a1.pk, "due_date": due, "target": "all", "note": "课前预习"},
    )
    push = w.res_school.pushes.order_by("-id").first()
    assert response["Location"] == reverse("resources:push_detail", args=[push.pk])
    detail = c.get(response["Location"]).content.decode()
    assert "0/2" in detail and "周小明" in detail and "吴小红" in detail
    s = client_for(w.student_user_a1)
    tasks = s.get(reverse("resources:my_tasks")).content.decode()
    assert "课前预习" in tasks and "2 项未完成" in tasks
    target = push.targets.get(student=w.student_a1)
    s.post(reverse("resources:task_done", args=[target.pk]), {"done": "1"})
    assert "1/2" in c.get(reverse("resources:push_detail", args=[push.pk])).content.decode()
    # the pushed file opens for the student (school item of their school) and the parent sees the task
    assert s.get(reverse("resources:download", args=[w.res_school.pk])).status_code == 200
    assert "课前预习" in client_for(w.parent1).get(reverse("resources:my_tasks")).content.decode()
    assert "课前预习" not in client_for(w.parent2).get(reverse("resources:my_tasks")).content.decode()


def test_statistics_by_school_and_export(world):
    w = matrix(world)
    services.resource_download_record(actor=w.head_teacher_a1, resource=w.res_school)
    b = make_resource(w, owner=w.teacher_b, school=w.school_b, level=Level.DISTRICT, title="骆驼学校区级资源")
    services.resource_rate(actor=w.teacher_a, resource=b, stars=4)
    d = client_for(w.district_admin)
    page = d.get(reverse("resources:stats")).content.decode()
    assert w.school_a.name in page and w.school_b.name in page
    s = client_for(w.school_admin_a).get(reverse("resources:stats")).content.decode()
    assert w.school_a.name in s and w.school_b.name not in s
    response = d.get(reverse("resources:stats"), {"export": "school"})
    assert response["Content-Disposition"].startswith("attachment")
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = {r[0]: r for r in wb.active.iter_rows(min_row=2, values_only=True)}
    # 学校, 上传, 校级以上, 区级准入, 下载, 评分人次, 平均评分
    assert rows[w.school_a.name][1:5] == (2, 1, 0, 1)
    assert rows[w.school_b.name][1:7] == (1, 1, 1, 0, 1, 4)
    assert AuditLog.objects.filter(action="export", object_type="resources.resource").exists()
    assert client_for(w.teacher_a).get(reverse("resources:stats")).status_code == 403


def test_knowledge_node_usage_counts_visible_tagged_resources(kworld):
    from django.test import RequestFactory

    from resources.views.browse import knowledge_node_usage

    w = kworld
    r = make_resource(w, owner=w.teacher_a, school=w.school_a, level=Level.SCHOOL, title="加法课件")
    r.knowledge_points.add(w.kp_add)
    request = RequestFactory().get("/")
    request.user = w.head_teacher_a1
    assert knowledge_node_usage(request, w.ch_rational)[0]["count"] == 1
    request.user = w.teacher_b
    assert knowledge_node_usage(request, w.ch_rational)[0]["count"] == 0


def test_video_audio_inline_and_office_without_libreoffice_downloads(world, monkeypatch):
    from resources.views import browse, common

    w = matrix(world)
    c = client_for(w.head_teacher_a1)
    mp4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
    v = make_resource(
        w,
        owner=w.teacher_a,
        school=w.school_a,
        level=Level.SCHOOL,
        title="有理数微课",
        kind="micro",
        data=mp4,
        ext="mp4",
    )
    page = c.get(reverse("resources:detail", args=[v.pk])).content.decode()
    assert "<video" in page
    response = c.get(reverse("resources:inline", args=[v.pk]))
    assert response["Content-Type"] == "video/mp4" and response["Content-Disposition"].startswith("inline;")
    assert response["Accept-Ranges"] == "bytes"
    # seeking: a byte range comes back as 206 with exactly those bytes; outside the file → 416
    part = c.get(reverse("resources:inline", args=[v.pk]), HTTP_RANGE="bytes=4-11")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 4-11/{len(mp4)}"
    assert b"".join(part.streaming_content) == mp4[4:12]
    tail = c.get(reverse("resources:inline", args=[v.pk]), HTTP_RANGE="bytes=-4")
    assert b"".join(tail.streaming_content) == mp4[-4:]
    assert c.get(reverse("resources:inline", args=[v.pk]), HTTP_RANGE=f"bytes={len(mp4)}-").status_code == 416
    monkeypatch.setattr(common, "soffice_path", lambda: None)
    monkeypatch.setattr(browse, "soffice_path", lambda: None)
    d = make_resource(
        w,
        owner=w.teacher_a,
        school=w.school_a,
        level=Level.SCHOOL,
        title="教案",
        kind="lesson_plan",
        data=docx_bytes("教案", ["目标"]),
        ext="docx",
    )
    assert c.get(reverse("resources:inline", args=[d.pk])).status_code == 404
    assert "该类型不能在线预览" in c.get(reverse("resources:detail", args=[d.pk])).content.decode()


def test_office_files_are_converted_once_when_libreoffice_is_installed(world, tmp_path, monkeypatch):
    """A stand-in ``soffice`` on the PATH writes a PDF and counts its runs: the preview converts once, then the
    cached PDF is served inline (sandboxed) with the original name turned into .pdf."""
    import stat

    from resources.samples import minimal_pdf as pdf

    w = matrix(world)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (tmp_path / "converted.pdf").write_bytes(pdf("converted"))
    script = bindir / "soffice"
    script.write_text(
        "#!/bin/sh\n"
        f'echo run >> "{tmp_path}/runs"\n'
        'while [ "$1" != "--outdir" ]; do shift; done\n'
        f'cp "{tmp_path}/converted.pdf" "$2/source.pdf"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    d = make_resource(
        w,
        owner=w.teacher_a,
        school=w.school_a,
        level=Level.SCHOOL,
        title="教学设计",
        kind="lesson_plan",
        data=docx_bytes("教学设计", ["目标"]),
        ext="docx",
    )
    c = client_for(w.head_teacher_a1)
    assert "preview-frame" in c.get(reverse("resources:detail", args=[d.pk])).content.decode()
    for _ in range(2):
        response = c.get(reverse("resources:inline", args=[d.pk]))
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("inline;") and ".pdf" in response["Content-Disposition"]
        assert response["Content-Security-Policy"].startswith("sandbox")
        assert response.content.startswith(b"%PDF-")
    assert (tmp_path / "runs").read_text().count("run") == 1


def test_a_pushed_personal_item_opens_for_the_class_only(world):
    w = matrix(world)
    personal = make_resource(w, owner=w.teacher_a, school=w.school_a, title="陈老师的随堂练习")
    services.push_create(
        actor=w.teacher_a, resource=personal, klass=w.class_a1, due_date=dt.date.today() + dt.timedelta(days=1)
    )
    assert client_for(w.student_user_a1).get(reverse("resources:download", args=[personal.pk])).status_code == 200
    assert client_for(w.student_user_a2).get(reverse("resources:download", args=[personal.pk])).status_code == 404
    assert client_for(w.head_teacher_a2).get(reverse("resources:download", args=[personal.pk])).status_code == 404


def test_knowledge_point_facet_offered_for_a_subject(kworld):
    w = kworld
    r = make_resource(w, owner=w.teacher_a, school=w.school_a, level=Level.SCHOOL, title="数轴上的加法")
    r.knowledge_points.add(w.kp_add)
    make_resource(w, owner=w.teacher_a, school=w.school_a, level=Level.SCHOOL, title="方程的解法")
    c = client_for(w.head_teacher_a1)
    page = c.get(reverse("resources:browse"), {"stage": "junior", "subject": w.math.pk}).content.decode()
    assert 'data-testid="kp-select"' in page and "M7-1-1 有理数的加法" in page
    chapter = c.get(
        reverse("resources:browse"), {"stage": "junior", "subject": w.math.pk, "knowledge_point": w.ch_rational.pk}
    ).content.decode()
    assert "数轴上的加法" in chapter and "方程的解法" not in chapter
