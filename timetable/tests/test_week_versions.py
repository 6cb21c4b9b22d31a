"""A newer published version taking effect in the middle of a week: the iCalendar feed, 我的课表, a class's and
a teacher's week pages and the week's Excel/PDF take each day from the version in force that day."""

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import Term
from core.testing import client_for
from timetable import selectors as sel
from timetable import services
from timetable.ics import timetable_events
from timetable.models import Timetable, TimetableEntry
from timetable.testing import tt_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(world):
    """School A's published version (1 班: 周一 数学 / 语文, and 周四第 5 节 数学) is replaced by the draft from next
    week's Wednesday on (1 班: 周二 数学, 周四第 3 节 语文)."""
    w = tt_world(world)
    today = timezone.localdate()
    w.monday = sel.monday_of(today) + dt.timedelta(days=7)
    w.wednesday = w.monday + dt.timedelta(days=2)
    # keep the test independent of where today falls in the term
    Term.objects.filter(pk=w.term.pk).update(end_date=max(w.term.end_date, w.monday + dt.timedelta(days=30)))
    w.old_thursday = TimetableEntry.objects.create(
        timetable=w.tt_a, lesson_key="old-thu", klass=w.class_a1, subject=w.math, teacher=w.math_a, day=3, period=4
    )
    w.new_thursday = TimetableEntry.objects.create(
        timetable=w.tt_a_draft,
        lesson_key="new-thu",
        klass=w.class_a1,
        subject=w.chinese,
        teacher=w.head_a1,
        day=3,
        period=2,
    )
    services.timetable_publish(actor=w.school_admin_a, timetable=w.tt_a_draft, effective_from=w.wednesday)
    return w


def _by_date(events):
    out = {}
    for e in events:
        out.setdefault(e["start"][:8], []).append(e)
    return out


def test_versions_by_day_splits_the_week_at_the_effective_date(w):
    parts = sel.versions_by_day(user=w.student_user_a1, school_id=w.school_a.pk, monday=w.monday)
    assert [(tt.pk, days) for tt, days in parts] == [(w.tt_a.pk, [0, 1]), (w.tt_a_draft.pk, [2, 3, 4, 5, 6])]
    # the week before is wholly the old version, the week after wholly the new one
    before = sel.versions_by_day(user=w.student_user_a1, school_id=w.school_a.pk, monday=w.monday - dt.timedelta(7))
    after = sel.versions_by_day(user=w.student_user_a1, school_id=w.school_a.pk, monday=w.monday + dt.timedelta(7))
    assert [(tt.pk, len(days)) for tt, days in before] == [(w.tt_a.pk, 7)]
    assert [(tt.pk, len(days)) for tt, days in after] == [(w.tt_a_draft.pk, 7)]
    # another school's student sees none of school A's versions
    assert sel.versions_by_day(user=w.student_user_b1, school_id=w.school_a.pk, monday=w.monday) == []


def test_ics_takes_monday_from_the_old_version_and_thursday_from_the_new(w):
    events = _by_date(timetable_events(w.student_user_a1, today=w.monday, weeks=1))
    monday = events[f"{w.monday:%Y%m%d}"]
    assert sorted(e["summary"] for e in monday) == [f"数学（{w.math_a.name}）", f"语文（{w.head_a1.name}）"]
    assert all(e["uid"].startswith(f"tt{w.tt_a.pk}-") for e in monday)
    thursday = events[f"{w.monday + dt.timedelta(days=3):%Y%m%d}"]
    assert [e["summary"] for e in thursday] == [f"语文（{w.head_a1.name}）"]
    assert thursday[0]["uid"].startswith(f"tt{w.tt_a_draft.pk}-e{w.new_thursday.pk}-")
    assert thursday[0]["start"].endswith("T101000")  # 第 3 节
    # the new version's Tuesday lesson is not yet in force; the old Thursday lesson no longer is
    assert f"{w.monday + dt.timedelta(days=1):%Y%m%d}" not in events
    assert not [e for day in events.values() for e in day if f"-e{w.old_thursday.pk}-" in e["uid"]]


def test_ics_for_the_teacher_follows_the_same_days(w):
    events = _by_date(timetable_events(w.teacher_a, today=w.monday, weeks=1))
    # 陈老师: 周一 1 班 数学 (old), not the old 周四 lesson, and not the new version's 周二 数学 before Wednesday
    assert [e["summary"] for e in events[f"{w.monday:%Y%m%d}"]] == [f"数学（{w.class_a1.name}）"]
    assert set(events) == {f"{w.monday:%Y%m%d}"}
    # the next week: only the new version (周二 数学)
    later = _by_date(timetable_events(w.teacher_a, today=w.monday + dt.timedelta(days=7), weeks=1))
    assert set(later) == {f"{w.monday + dt.timedelta(days=8):%Y%m%d}"}


def test_my_timetable_week_mixes_the_versions_and_says_so(w):
    body = client_for(w.student_user_a1).get(reverse("timetable:my") + f"?week={w.monday}").content.decode()
    assert 'data-testid="version-change"' in body and w.wednesday.isoformat() in body
    grid = sel.week_grid(user=w.student_user_a1, school_id=w.school_a.pk, monday=w.monday, klass=w.class_a1)[0]
    cells = {(it["day"], it["period"]): it["subject"] for it in sel.grid_items(grid)}
    assert cells == {(0, 0): "数学", (0, 1): "语文", (3, 2): "语文"}
    assert body.count('data-testid="item"') == 3
    # a week wholly under one version has no note
    body = client_for(w.student_user_a1).get(reverse("timetable:my") + f"?week={w.monday + dt.timedelta(7)}")
    assert 'data-testid="version-change"' not in body.content.decode()


def test_class_and_teacher_week_pages_mix_the_versions(w):
    admin = client_for(w.school_admin_a)
    body = admin.get(reverse("timetable:class", args=[w.class_a1.pk]) + f"?week={w.monday}").content.decode()
    assert body.count('data-testid="item"') == 3 and 'data-testid="version-change"' in body
    # an admin looking at one version explicitly sees that version only
    url = reverse("timetable:class", args=[w.class_a1.pk]) + f"?week={w.monday}&version={w.tt_a.pk}"
    assert admin.get(url).content.decode().count('data-testid="item"') == 3  # 周一 ×2 and the old 周四
    body = (
        client_for(w.teacher_a)
        .get(reverse("timetable:teacher", args=[w.school_a.pk, w.math_a.pk]) + f"?week={w.monday}")
        .content.decode()
    )
    assert body.count('data-testid="item"') == 1  # 周一 数学 only


def test_week_excel_export_takes_each_day_from_its_version(w):
    response = client_for(w.student_user_a1).get(
        reverse("timetable:class_export", args=[w.class_a1.pk, "xlsx"]) + f"?week={w.monday}"
    )
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    header = rows[0]
    monday_col, thursday_col = header.index("周一"), header.index("周四")
    by_period = {r[0]: r for r in rows[1:]}
    assert by_period["第1节"][monday_col] == f"数学 {w.math_a.name}"
    assert by_period["第3节"][thursday_col] == f"语文 {w.head_a1.name}"
    assert by_period["第5节"][thursday_col] in ("", None)  # the old version's 周四 lesson is gone


def test_week_pdf_export_of_a_mixed_week(w):
    response = client_for(w.teacher_a).get(
        reverse("timetable:teacher_export", args=[w.school_a.pk, w.math_a.pk, "pdf"]) + f"?week={w.monday}"
    )
    assert response.status_code == 200 and response.content[:4] == b"%PDF"


def test_versions_stay_in_the_user_scope(w):
    # another school's teacher cannot open school A's teacher week, mixed or not
    url = reverse("timetable:teacher", args=[w.school_a.pk, w.math_a.pk]) + f"?week={w.monday}"
    assert client_for(w.teacher_b).get(url).status_code == 404
    assert Client().get(url).status_code == 302
    assert Timetable.objects.filter(school=w.school_a, published_at__isnull=False).count() == 2


def test_api_week_takes_each_day_from_its_version(w):
    c = client_for(w.student_user_a1)
    data = c.get(f"/api/v1/timetable/my?week={w.monday}").json()
    by_slot = {(x["day"], x["period"]): x["entry_id"] for x in data["items"]}
    assert by_slot == {(0, 0): w.entry_a1_math.pk, (0, 1): w.entry_a1_chinese.pk, (3, 2): w.new_thursday.pk}
    assert data["timetables"][0]["name"] == w.tt_a_draft.name  # the version in force at the end of the week
    data = c.get(f"/api/v1/timetable/classes/{w.class_a1.pk}?week={w.monday}").json()
    assert sorted((x["day"], x["period"]) for x in data["items"]) == [(0, 0), (0, 1), (3, 2)]
    data = client_for(w.teacher_a).get(
        f"/api/v1/timetable/schools/{w.school_a.pk}/teachers/{w.math_a.pk}?week={w.monday}"
    )
    assert [(x["day"], x["period"]) for x in data.json()["items"]] == [(0, 0)]
