"""Test fixtures of the resource library on top of ``core.testing.build_world()``: resources at each level with a
tiny real file, made on first use (used by the scope-matrix cases, the API cases and the tests).

Files are written once per content under ``resources/samples/<sha256>.<ext>`` in the default storage, so repeated
test worlds do not pile up copies."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from .filetypes import TYPES
from .models import Level, Resource
from .samples import minimal_pdf
from .services import _index

SCHOOL_TITLE = "矩阵校级资源·有理数的加法课件"
PENDING_TITLE = "矩阵待审资源·一元一次方程教案"


def sample_file(data: bytes, ext: str) -> tuple[str, str]:
    sha = hashlib.sha256(data).hexdigest()
    name = f"resources/samples/{sha}.{ext}"
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(data))
    return name, sha


def make_resource(
    w,
    *,
    owner,
    title: str,
    school=None,
    level: str = Level.PERSONAL,
    review_state: str = "",
    kind: str = "courseware",
    subject=None,
    data: bytes | None = None,
    ext: str = "pdf",
    description: str = "",
    tags: str = "",
) -> Resource:
    """A resource row with a stored sample file, indexed for search (no audit: a fixture, not a user action)."""
    data = data if data is not None else minimal_pdf(title.encode("ascii", "ignore").decode() or "sample")
    if data is not None and ext == "pdf":
        data = data.replace(b"%%EOF", f"%{hashlib.md5(title.encode()).hexdigest()}\n%%EOF".encode())  # noqa: S324
    name, sha = sample_file(data, ext)
    now = timezone.now()
    r = Resource(
        district=w.district,
        school=school,
        owner=owner,
        title=title,
        description=description,
        kind=kind,
        stage="junior",
        subject=subject or w.math,
        grade_label="七年级",
        tags=tags,
        file=name,
        file_type=ext,
        mime=TYPES[ext].mime,
        size=len(data),
        sha256=sha,
        original_name=f"{title}.{ext}",
        level=level,
        review_state=review_state,
        school_approved_at=now if level in (Level.SCHOOL, Level.DISTRICT) else None,
        district_approved_at=now if level == Level.DISTRICT else None,
    )
    _index(r)
    r.save()
    return r


def matrix(w):
    """School A's 校级 resource (teacher_a's), a pending one (head_teacher_a1's), and a push of the first to
    class a1 (students a1, a1b) — made once per world."""
    if getattr(w, "res_school", None) is None:
        w.res_school = make_resource(
            w, owner=w.teacher_a, title=SCHOOL_TITLE, school=w.school_a, level=Level.SCHOOL, tags="课件 计算"
        )
        w.res_pending = make_resource(
            w,
            owner=w.head_teacher_a1,
            title=PENDING_TITLE,
            school=w.school_a,
            review_state="pending_school",
            kind="lesson_plan",
        )
        from .models import Push, PushTarget

        w.push = Push.objects.create(
            resource=w.res_school,
            teacher=w.teacher_a,
            klass=w.class_a1,
            due_date=timezone.localdate() + dt.timedelta(days=7),
        )
        w.push_targets = [PushTarget.objects.create(push=w.push, student=s) for s in (w.student_a1, w.student_a1b)]
    return w
