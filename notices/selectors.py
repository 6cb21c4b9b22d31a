"""Reads of the notices module: what a user may send to, their inbox, and a notice's read statistics."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from core.models import Class, District, School
from core.scope import grants_for

from .models import Notice, NoticeRecipient


@dataclass
class SenderOptions:
    districts: list = field(default_factory=list)
    schools: list = field(default_factory=list)
    classes: list = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.districts or self.schools or self.classes)


def sender_options(*, user) -> SenderOptions:
    """The nodes ``user`` may send a notice from: districts (区县管理员), schools (学校管理员), classes (班主任 and
    the current term's 任课教师)."""
    grants = grants_for(user)
    district_ids = sorted({g.district_id for g in grants if g.role == "district_admin"})
    school_ids = sorted({g.school_id for g in grants if g.role == "school_admin"})
    class_ids = sorted({g.klass_id for g in grants if g.role in ("head_teacher", "subject_teacher")})
    return SenderOptions(
        districts=list(District.objects.filter(pk__in=district_ids).order_by("pk")),
        schools=list(School.objects.filter(pk__in=school_ids, archived_at__isnull=True).order_by("code")),
        classes=list(
            Class.objects.filter(pk__in=class_ids, archived_at__isnull=True)
            .select_related("grade", "school")
            .order_by("school__code", "grade__stage", "-grade__entry_year", "number")
        ),
    )


def head_class_ids(user) -> list[int]:
    return sorted({g.klass_id for g in grants_for(user) if g.role == "head_teacher"})


def notices_sent_visible(*, user):
    """The notices ``user`` may follow up: those inside their sending scope, and — for a 班主任 — the school's
    and district's notices that reached their class (followed up for that class only, see ``follow_classes``)."""
    qs = Notice.objects.visible_to(user, "view")
    heads = head_class_ids(user)
    if heads:
        reached = NoticeRecipient.objects.filter(klass_id__in=heads).values("notice_id")
        qs = Notice.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk__in=reached))
    return qs


def follow_classes(*, user, notice) -> list[int] | None:
    """None when ``user`` follows the whole notice (it is in their sending scope); else the classes (their own as
    班主任) whose statistics, unread names and reminders they may see — an empty list means none."""
    from core.scope import can

    if can(user, "view", notice):
        return None
    heads = head_class_ids(user)
    if not heads:
        return []
    return sorted(
        set(NoticeRecipient.objects.filter(notice=notice, klass_id__in=heads).values_list("klass_id", flat=True))
    )


def inbox_rows(*, user, now=None):
    """The user's published, unexpired, not withdrawn notices: pinned first, newest first."""
    return (
        NoticeRecipient.objects.visible_to(user)
        .published(now)
        .select_related("notice", "notice__school", "notice__klass__grade", "student__person")
        .order_by("-notice__pinned", "-notice__publish_at", "-notice_id")
    )


def notice_unread_count(*, user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return NoticeRecipient.objects.visible_to(user).published().filter(read_at__isnull=True).count()


def recipient_row(*, user, notice_id: int, now=None):
    return inbox_rows(user=user, now=now).filter(notice_id=notice_id).first()


@dataclass
class ClassStat:
    key: str
    label: str
    total: int
    read: int
    signed: int

    @property
    def unread(self) -> int:
        return self.total - self.read

    @property
    def read_pct(self) -> int:
        return round(100 * self.read / self.total) if self.total else 0


# Above this many recipients the statistics are computed at most once per STATS_TTL seconds per process (the
# page polls every 5 s; counting 240,000 rows on every poll of every open page would load the database).
LIVE_LIMIT = 5000
STATS_TTL = 5


def notice_stats(*, notice, classes: list[int] | None = None) -> tuple[ClassStat, list[ClassStat]]:
    """Overall and per-class (staff: per school) read and 回执 counts, in one grouped query; ``classes`` limits
    them to those classes (a 班主任 following a school notice). Large notices are cached for ``STATS_TTL``."""
    if notice.recipients_total <= LIVE_LIMIT:
        return _notice_stats(notice=notice, classes=classes)
    from django.core.cache import cache

    key = f"notices:stats:{notice.pk}:{','.join(map(str, classes)) if classes is not None else 'all'}"
    result = cache.get(key)
    if result is None:
        result = _notice_stats(notice=notice, classes=classes)
        cache.set(key, result, STATS_TTL)
    return result


def _notice_stats(*, notice, classes: list[int] | None = None) -> tuple[ClassStat, list[ClassStat]]:
    base = NoticeRecipient.objects.filter(notice=notice)
    if classes is not None:
        base = base.filter(klass_id__in=classes)
    if notice.level == "district" and classes is None:
        return _stats_by_school(base)
    rows = base.values("role", "klass_id", "school_id").annotate(
        total=Count("pk"),
        read=Count("pk", filter=Q(read_at__isnull=False)),
        signed=Count("pk", filter=Q(receipt_at__isnull=False)),
    )
    rows = list(rows)
    class_ids = {r["klass_id"] for r in rows if r["klass_id"]}
    school_ids = {r["school_id"] for r in rows if r["school_id"]}
    classes = {k.pk: k for k in Class.objects.filter(pk__in=class_ids).select_related("grade", "school")}
    schools = {s.pk: s for s in School.objects.filter(pk__in=school_ids)}
    many_schools = len(school_ids) > 1
    groups: dict[str, ClassStat] = {}
    order: dict[str, tuple] = {}
    for r in rows:
        if r["role"] == "staff" or not r["klass_id"]:
            school = schools.get(r["school_id"])
            key = f"s{r['school_id']}"
            label = f"{school.short_name or school.name if school else ''} · 教职工"
            order[key] = (school.code if school else "", 0, 0, 0)
        else:
            k = classes[r["klass_id"]]
            key = f"k{k.pk}"
            label = f"{k.school.short_name or k.school.name} {k.name}" if many_schools else k.name
            order[key] = (k.school.code, 1, k.grade.sort_key, k.number)
        g = groups.setdefault(key, ClassStat(key, label, 0, 0, 0))
        g.total += r["total"]
        g.read += r["read"]
        g.signed += r["signed"]
    per_group = sorted(groups.values(), key=lambda g: order[g.key])
    overall = ClassStat(
        "all",
        "合计",
        sum(g.total for g in per_group),
        sum(g.read for g in per_group),
        sum(g.signed for g in per_group),
    )
    return overall, per_group


def _stats_by_school(base) -> tuple[ClassStat, list[ClassStat]]:
    """A district notice reaches thousands of classes: its statistics are per school (key ``S<school id>``)."""
    rows = list(
        base.values("school_id").annotate(
            total=Count("pk"),
            read=Count("pk", filter=Q(read_at__isnull=False)),
            signed=Count("pk", filter=Q(receipt_at__isnull=False)),
        )
    )
    schools = {s.pk: s for s in School.objects.filter(pk__in=[r["school_id"] for r in rows if r["school_id"]])}
    per_school = []
    for r in rows:
        school = schools.get(r["school_id"])
        label = school.name if school else "—"
        per_school.append(
            (school.code if school else "", ClassStat(f"S{r['school_id']}", label, r["total"], r["read"], r["signed"]))
        )
    groups = [g for _code, g in sorted(per_school, key=lambda x: x[0])]
    overall = ClassStat(
        "all", "合计", sum(g.total for g in groups), sum(g.read for g in groups), sum(g.signed for g in groups)
    )
    return overall, groups


def unread_rows(*, notice, group: str = "", limit: int = 500, classes: list[int] | None = None):
    """Recipients who have not read (or, for a notice with 回执, not signed), optionally in one stats group and
    limited to ``classes``."""
    qs = NoticeRecipient.objects.filter(notice=notice)
    if classes is not None:
        qs = qs.filter(klass_id__in=classes)
    qs = qs.filter(receipt_at__isnull=True) if notice.needs_receipt else qs.filter(read_at__isnull=True)
    # one class: in 学号 order; everything: by class then row, which the (notice, klass) index walks in order,
    # so a 240,000-recipient notice does not sort all its rows for the first page
    order = ("student__class_no", "pk") if group.startswith("k") else ("klass_id", "pk")
    if group.startswith("k") and group[1:].isdigit():
        qs = qs.filter(klass_id=int(group[1:]))
    elif group.startswith("s") and group[1:].isdigit():
        qs = qs.filter(school_id=int(group[1:]), klass__isnull=True)
    elif group.startswith("S") and group[1:].isdigit():
        qs = qs.filter(school_id=int(group[1:]))
    return qs.select_related("user__person", "student__person", "klass__grade").order_by(*order)[:limit]


def is_live(notice) -> bool:
    return notice.fanout_status in ("pending", "running") or notice.publish_at > timezone.now()
