"""合班 and 走班 lessons placed in a version, as the users see them: the 总课表 page and its Excel export, and
调课/代课 on them (a 代课 of a 合班 covers all its classes, one of a 走班 teaching group only that group; 调课 of
such a lesson is refused; a teacher of any row of a parallel lesson is busy at its time)."""

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import Notification
from core.testing import client_for
from timetable import selectors as sel
from timetable import services
from timetable.models import Substitution, SubstitutionStatus
from timetable.testing import BLOCK_NAME, GROUP_NAME, parallel_entries, tt_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(world):
    w = tt_world(world)
    return parallel_entries(w, w.tt_a)


def next_wednesday() -> dt.date:
    today = timezone.localdate()
    return today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=7 + 2)


# --- 总课表 ------------------------------------------------------------------------------------------------


def test_overview_page_shows_the_block_with_its_groups_and_the_combined_classes(w):
    url = reverse("timetable:version", args=[w.tt_a.pk]) + "?view=overview"
    assert Client().get(url).status_code == 302
    assert client_for(w.school_admin_b).get(url).status_code == 404
    response = client_for(w.school_admin_a).get(url)
    assert response.status_code == 200
    body = response.content.decode()
    both = f"{w.class_a1.name}、{w.class_a2.name}"
    # each class's Wednesday period 2: the block, then every group with its teacher (and room)
    block_cell = (
        f'title="走班：{BLOCK_NAME}（{GROUP_NAME} 陈老师 物理实验室；历史A班 王班主任）" data-testid="overview-cell"'
    )
    assert body.count(block_cell) == 2
    assert f"走班：{BLOCK_NAME}<div" in body and f"{GROUP_NAME} 陈老师 物理实验室</div>" in body
    assert "历史A班 王班主任</div>" in body
    # the 合班 cell names both classes, once in each class's row
    assert body.count(f'title="体育与健康 赵班主任（合班：{both}）"') == 2
    assert body.count(f'<div class="small text-secondary">{both}</div>') == 2
    # a class's own lesson is unchanged
    assert 'title="数学 陈老师"' in body


def test_overview_excel_names_the_block_groups_and_combined_classes(w):
    url = reverse("timetable:version_export", args=[w.tt_a.pk])
    assert Client().get(url).status_code == 302
    assert client_for(w.school_admin_b).get(url).status_code == 404
    response = client_for(w.school_admin_a).get(url)
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    header = rows[0]
    wed1, wed2 = header.index("周三1"), header.index("周三2")
    by_class = {r[0]: r for r in rows[1:]}
    both = f"{w.class_a1.name}、{w.class_a2.name}"
    for klass in (w.class_a1, w.class_a2):
        row = by_class[klass.name]
        assert row[wed1] == f"体育与健康 赵班主任（合班：{both}）"
        assert row[wed2] == f"走班：{BLOCK_NAME}（{GROUP_NAME} 陈老师 物理实验室；历史A班 王班主任）"
    assert by_class[w.class_a1.name][header.index("周一1")] == "数学 陈老师"


# --- 代课 / 调课 ------------------------------------------------------------------------------------------


def cell_items(grid, day, period):
    return [it for it in grid["rows"][period]["cells"][day]["items"] if it["first"]]


def notified(user, sub) -> list[str]:
    return list(
        Notification.objects.filter(user=user, url=f"/timetable/substitutions/{sub.pk}/").values_list(
            "title", flat=True
        )
    )


def test_substitute_on_one_row_of_a_combined_lesson_covers_every_class(w):
    date = next_wednesday()
    a1_row, a2_row = w.pe_rows
    # 赵班主任 asks on her own class's row
    sub = services.substitution_request(
        actor=w.head_teacher_a2, entry=a2_row, date=date, reason="外出培训", substitute=w.principal_a
    )
    # the other class's row of the same lesson is already taken care of
    with pytest.raises(services.ValidationError) as exc:
        services.substitution_request(
            actor=w.school_admin_a, entry=a1_row, date=date, reason="外出培训", substitute=w.math_a
        )
    assert exc.value.message_dict == {"date": ["这节课在该日期已有调课/代课申请"]}
    url = reverse("timetable:substitution", args=[sub.pk])
    assert Client().get(url).status_code == 302
    assert client_for(w.school_admin_b).get(url).status_code == 404
    page = client_for(w.school_admin_a).get(url).content.decode()
    assert f"代课 · {w.class_a1.name}、{w.class_a2.name} 体育与健康" in page
    services.substitution_decide(actor=w.school_admin_a, substitution=sub, approve=True)
    # both classes' head teachers hear of it (赵班主任 also as the teacher who asked), with both classes named
    both = f"{w.class_a1.name}、{w.class_a2.name}"
    for user in (w.head_teacher_a1, w.head_teacher_a2):
        assert notified(user, sub) == ["代课已批准"]
    body = Notification.objects.filter(user=w.head_teacher_a1, url=f"/timetable/substitutions/{sub.pk}/").get().body
    assert body == f"{date.isoformat()} {both} 体育与健康：张校长"
    # the week page of each class shows 张校长 with the 代 badge on Wednesday period 1
    for klass in (w.class_a1, w.class_a2):
        url = reverse("timetable:class", args=[klass.pk]) + f"?week={date.isoformat()}"
        body = client_for(w.school_admin_a).get(url).content.decode()
        cell = body.split('data-testid="cell-2-0"')[1].split("</td>")[0]
        assert "代</span>" in cell and "赵班主任→张校长" in cell and "张校长" in cell
    # 赵班主任's week: the lesson is marked as given away, once
    grid = sel.teacher_grid(
        user=w.school_admin_a, timetable=w.tt_a, teacher=w.head_a2, monday=date - dt.timedelta(days=2)
    )
    (item,) = cell_items(grid, 2, 0)
    assert item["away"] and item["note"] == "由张校长代课" and item["klass"] == both
    # 张校长's week: one lesson taken over, for both classes
    grid = sel.teacher_grid(
        user=w.school_admin_a, timetable=w.tt_a, teacher=w.principal_a, monday=date - dt.timedelta(days=2)
    )
    (item,) = cell_items(grid, 2, 0)
    assert item["badge"] == "代" and item["klass"] == both and item["note"] == "代赵班主任"


def test_substitute_for_one_teaching_group_changes_only_that_group(w):
    date = next_wednesday()
    row = w.block_rows[(w.group_a.pk, w.class_a1.pk)]
    sub = services.substitution_request(
        actor=w.teacher_a, entry=row, date=date, reason="外出培训", substitute=w.principal_a
    )
    services.substitution_decide(actor=w.school_admin_a, substitution=sub, approve=True)
    assert notified(w.head_teacher_a1, sub) == ["代课已批准"] and notified(w.head_teacher_a2, sub) == ["代课已批准"]
    monday = date - dt.timedelta(days=2)
    for klass in (w.class_a1, w.class_a2):
        grid = sel.class_grid(user=w.school_admin_a, timetable=w.tt_a, klass=klass, monday=monday)
        (item,) = cell_items(grid, 2, 1)
        groups = {g["name"]: g["teacher"] for g in item["groups"]}
        assert groups == {GROUP_NAME: "张校长", "历史A班": "王班主任"}
        assert item["badge"] == "代" and item["note"] == f"{GROUP_NAME}：陈老师→张校长"
    # 王班主任 keeps 历史A班; 陈老师 is away from 物理A班 (both classes' rows)
    grid = sel.teacher_grid(user=w.school_admin_a, timetable=w.tt_a, teacher=w.head_a1, monday=monday)
    (item,) = cell_items(grid, 2, 1)
    assert not item["badge"] and not item.get("away") and item["klass"].startswith("历史A班")
    grid = sel.teacher_grid(user=w.school_admin_a, timetable=w.tt_a, teacher=w.math_a, monday=monday)
    (item,) = cell_items(grid, 2, 1)
    assert item["away"] and item["klass"] == f"{GROUP_NAME}（{w.class_a1.name}、{w.class_a2.name}）"
    # the page of class 1 lists 张校长 on the 物理A班 line
    url = reverse("timetable:class", args=[w.class_a1.pk]) + f"?week={date.isoformat()}"
    body = client_for(w.school_admin_a).get(url).content.decode()
    assert f"<li>{GROUP_NAME} · 张校长 · 物理实验室</li>" in body and "<li>历史A班 · 王班主任</li>" in body


def test_swapping_a_combined_or_elective_lesson_is_refused(w):
    date = next_wednesday()
    monday = date - dt.timedelta(days=2)
    for row in (w.pe_rows[0], w.block_rows[(w.group_a.pk, w.class_a1.pk)]):
        with pytest.raises(services.ValidationError) as exc:
            services.substitution_request(
                actor=w.school_admin_a,
                entry=row,
                date=date,
                reason="公开课",
                kind="swap",
                swap_entry=w.entry_a1_math,
                swap_date=monday,
            )
        assert exc.value.message_dict == {"kind": ["合班/走班课不能单独对调，请在排课管理中调整"]}
    with pytest.raises(services.ValidationError) as exc:
        services.substitution_request(
            actor=w.teacher_a,
            entry=w.entry_a1_math,
            date=monday,
            reason="公开课",
            kind="swap",
            swap_entry=w.pe_rows[0],
            swap_date=date,
        )
    assert exc.value.message_dict == {"swap_entry": ["合班/走班课不能单独对调，请在排课管理中调整"]}
    assert not Substitution.objects.exclude(pk=w.sub_a.pk).exists()
    # the form offers no 合班/走班 lesson to swap with, and says why when asked to swap one
    page = client_for(w.teacher_a).get(
        reverse("timetable:substitution_new", args=[w.entry_a1_math.pk]) + f"?date={monday.isoformat()}"
    )
    assert f"{w.entry_a1_chinese.pk}|" in page.content.decode()
    assert f"{w.pe_rows[0].pk}|" not in page.content.decode() and "体育与健康" not in page.content.decode()
    url = reverse("timetable:substitution_new", args=[w.pe_rows[1].pk])
    response = client_for(w.head_teacher_a2).post(
        url, {"kind": "swap", "date": date.isoformat(), "swap": "", "reason": "公开课"}
    )
    assert response.status_code == 200
    assert "合班/走班课不能单独对调，请在排课管理中调整" in response.content.decode()


def test_substitution_page_of_a_parallel_lesson_names_its_classes(w):
    url = reverse("timetable:substitution_new", args=[w.pe_rows[1].pk])
    assert Client().get(url).status_code == 302
    assert client_for(w.school_admin_b).get(url).status_code == 404
    assert client_for(w.teacher_a).get(url).status_code == 404  # not his lesson
    body = client_for(w.head_teacher_a2).get(url).content.decode()
    lesson = body.split('data-testid="lesson">')[1].split("</p>")[0]
    assert lesson.startswith(f"{w.class_a1.name}、{w.class_a2.name} · 体育与健康")
    assert "代课老师为合班的所有班级上这节课" in body
    row = w.block_rows[(w.group_a.pk, w.class_a1.pk)]
    body = client_for(w.teacher_a).get(reverse("timetable:substitution_new", args=[row.pk])).content.decode()
    assert "代课只替这个教学班上课" in body


def test_a_teacher_of_any_row_of_a_parallel_lesson_is_busy_then_free_once_covered(w):
    date = next_wednesday()
    his_row = w.block_rows[(w.group_a2.pk, w.class_a2.pk)]  # 王班主任's 历史A班 at the block's time
    phy_row = w.block_rows[(w.group_a.pk, w.class_a1.pk)]

    def names(entry):
        return [c["person"].name for c in sel.substitution_candidates(entry=entry, date=date)]

    # 陈老师 teaches 物理A班 then: he cannot take 历史A班, nor can 王班主任 take 物理A班
    assert "陈老师" not in names(his_row) and "王班主任" not in names(phy_row)
    assert sorted(names(his_row)) == ["张校长", "赵班主任"]
    with pytest.raises(services.ValidationError) as exc:
        services.substitution_request(
            actor=w.school_admin_a, entry=his_row, date=date, reason="教研", substitute=w.math_a
        )
    assert exc.value.message_dict == {"substitute": ["陈老师 在这节课的时间已有课"]}
    # once 张校长 covers 物理A班 (both classes' rows), 陈老师 is free at that time
    sub = services.substitution_request(
        actor=w.teacher_a, entry=phy_row, date=date, reason="外出培训", substitute=w.principal_a
    )
    assert "张校长" not in names(his_row)  # a pending 代课 already keeps him busy
    services.substitution_decide(actor=w.school_admin_a, substitution=sub, approve=True)
    assert "陈老师" in names(his_row)
    # lessons that day count a 合班 or a teaching group once, not once per class
    zhao = next(c for c in sel.substitution_candidates(entry=his_row, date=date) if c["person"] == w.head_a2)
    assert zhao["lessons_that_day"] == 1
    assert Substitution.objects.get(pk=sub.pk).status == SubstitutionStatus.APPROVED


# --- who sees a 代课 of a parallel lesson -------------------------------------------------------------------


def in_api(user, sub) -> bool:
    items = client_for(user).get("/api/v1/timetable/substitutions").json()["items"]
    return any(row["id"] == sub.pk for row in items)


def on_page(user, sub) -> tuple[bool, int]:
    """(listed on the 调课代课 page, status of its detail page) for ``user``."""
    c = client_for(user)
    page = c.get(reverse("timetable:substitutions")).content.decode()
    return f"/timetable/substitutions/{sub.pk}/" in page, c.get(
        reverse("timetable:substitution", args=[sub.pk])
    ).status_code


def test_every_class_of_a_combined_lesson_sees_its_substitute(w):
    """A 代课 asked on class 2's row of the 合班 also covers class 1: class 1's students and parents find it through
    the API, and 王班主任 (head teacher of class 1) on her 调课代课 page; another school's users do not."""
    _a1_row, a2_row = w.pe_rows
    date = next_wednesday()
    sub = services.substitution_request(
        actor=w.head_teacher_a2, entry=a2_row, date=date, reason="外出培训", substitute=w.principal_a
    )
    assert sub.klass == w.class_a2
    assert in_api(w.student_user_a1, sub) and in_api(w.parent1, sub) and in_api(w.student_user_a2, sub)
    assert not in_api(w.student_user_b1, sub) and not in_api(w.school_admin_b, sub)
    assert on_page(w.head_teacher_a1, sub) == (True, 200)
    assert on_page(w.school_admin_b, sub) == (False, 404)
    assert Client().get("/api/v1/timetable/substitutions").status_code == 401
    # a 代课 of an ordinary lesson of class 1 (Monday period 2) stays with class 1
    other = services.substitution_request(
        actor=w.school_admin_a,
        entry=w.entry_a1_chinese,
        date=date - dt.timedelta(days=2),
        reason="开会",
        substitute=w.math_a,
    )
    assert in_api(w.student_user_a1, other) and not in_api(w.student_user_a2, other)
    assert on_page(w.head_teacher_a1, other)[0] and not on_page(w.head_teacher_a2, other)[0]


def test_a_substitute_for_a_teaching_group_reaches_the_classes_it_draws_from(w):
    row = w.block_rows[(w.group_a.pk, w.class_a1.pk)]
    sub = services.substitution_request(
        actor=w.teacher_a, entry=row, date=next_wednesday(), reason="外出培训", substitute=w.principal_a
    )
    # 物理A班 draws from both classes: class 2 sees the request stored on class 1's row
    assert in_api(w.student_user_a2, sub) and on_page(w.head_teacher_a2, sub) == (True, 200)
    assert not in_api(w.student_user_b1, sub) and on_page(w.school_admin_b, sub) == (False, 404)


def list_row(user, sub) -> str:
    """The text of ``sub``'s row on ``user``'s 调课代课 page."""
    page = client_for(user).get(reverse("timetable:substitutions")).content.decode()
    row = page.split(f"/timetable/substitutions/{sub.pk}/")[1].split("</tr>")[0]
    return row.split("<td>")[2].split("<span")[0].strip()


def test_the_list_names_every_class_a_parallel_substitute_covers(w):
    date = next_wednesday()
    combined = services.substitution_request(
        actor=w.head_teacher_a2, entry=w.pe_rows[1], date=date, reason="外出培训", substitute=w.principal_a
    )
    group = services.substitution_request(
        actor=w.teacher_a,
        entry=w.block_rows[(w.group_a.pk, w.class_a1.pk)],
        date=date + dt.timedelta(days=7),
        reason="教研",
        substitute=w.principal_a,
    )
    ordinary = services.substitution_request(
        actor=w.school_admin_a,
        entry=w.entry_a1_chinese,
        date=date - dt.timedelta(days=2),
        reason="开会",
        substitute=w.math_a,
    )
    both = f"{w.class_a1.name}、{w.class_a2.name}"
    # class 1's head teacher sees the 合班 代课 asked on class 2's row under both classes
    assert list_row(w.head_teacher_a1, combined) == f"{both} 体育与健康"
    assert list_row(w.school_admin_a, group).startswith(f"{both} ")
    assert list_row(w.school_admin_a, ordinary) == f"{w.class_a1.name} 语文"
    # the API names them too (its class_id/class_name stay the row it was asked on)
    items = {r["id"]: r for r in client_for(w.student_user_a1).get("/api/v1/timetable/substitutions").json()["items"]}
    assert items[combined.pk]["classes"] == [w.class_a1.name, w.class_a2.name]
    assert items[combined.pk]["class_name"] == w.class_a2.name
    assert items[ordinary.pk]["classes"] == [w.class_a1.name]
