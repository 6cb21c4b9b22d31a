"""教学班名单 of a 走班 block: set by ticking or from a sheet (atomic, every error naming its row), read by the group's
teacher and the school's admins, and used by the timetable: a student or a parent sees the student's own group
(subject, teacher, room) instead of the whole block."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from core.models import AuditLog
from core.testing import client_for
from timetable import rosterfile, services
from timetable import selectors as sel
from timetable.ics import timetable_ics
from timetable.models import TeachingGroup
from timetable.testing import GROUP_NAME, parallel_entries, tt_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(world):
    w = tt_world(world)
    return parallel_entries(w, w.tt_a)


def xlsx(rows, headers=("学籍号", "姓名", "教学班")) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def members(group) -> set[str]:
    return {st.person.name for st in group.students.all()}


# --- services --------------------------------------------------------------------------------------------


def test_setting_a_roster_checks_classes_other_groups_and_room(w):
    services.teaching_group_students_set(actor=w.school_admin_a, group=w.group_a, students=[w.student_a1, w.student_a2])
    assert members(w.group_a) == {"周小明", "郑小刚"}
    log = AuditLog.objects.filter(action="teachinggroup.students", object_id=str(w.group_a.pk)).get()
    assert log.changes["students"][1] == sorted([w.student_a1.pk, w.student_a2.pk])
    # 周小明 is in 物理A班 already; 孙小丽 is of another school; nothing is written
    with pytest.raises(ValidationError) as exc:
        services.teaching_group_students_set(
            actor=w.school_admin_a, group=w.group_a2, students=[w.student_a1b, w.student_a1, w.student_b1]
        )
    assert exc.value.message_dict["students"] == [
        f"周小明 已在本段的{GROUP_NAME}",
        f"孙小丽（{w.class_b1.name}）不在{w.group_a2.name}的学生来源班级",
    ]
    assert members(w.group_a2) == set()
    # the room holds fewer students than the 名单
    w.room_a.capacity = 1
    w.room_a.save()
    with pytest.raises(ValidationError) as exc:
        services.teaching_group_students_set(
            actor=w.school_admin_a, group=w.group_a, students=[w.student_a1, w.student_a1b]
        )
    assert f"{GROUP_NAME} 有 2 人，{w.room_a.name} 只能容纳 1 人" in exc.value.message_dict["students"]
    assert members(w.group_a) == {"周小明", "郑小刚"}
    # a teacher cannot change it; another school's admin neither
    for user in (w.teacher_a, w.school_admin_b):
        with pytest.raises(services.PermissionDenied):
            services.teaching_group_students_set(actor=user, group=w.group_a, students=[])


def test_a_class_that_no_longer_comes_leaves_the_roster(w):
    services.teaching_group_students_set(actor=w.school_admin_a, group=w.group_a, students=[w.student_a1, w.student_a2])
    g = w.group_a
    services.teaching_group_save(
        actor=w.school_admin_a,
        block=w.block_a,
        group=g,
        name=g.name,
        subject=g.subject,
        teacher=g.teacher,
        classes=[w.class_a1],
        room=g.room,
        size=g.size,
    )
    assert members(g) == {"周小明"}


def test_import_replaces_the_block_rosters(w):
    services.teaching_group_students_set(actor=w.school_admin_a, group=w.group_a, students=[w.student_a2])
    rows = rosterfile.read_rows(
        xlsx(
            [
                (w.student_a1.student_no, "周小明", GROUP_NAME),
                (w.student_a1b.student_no.lower(), "吴小红", w.group_a2.name),
                (w.student_a2.student_no, "郑小刚", ""),  # in no group now
            ]
        ),
        "名单.xlsx",
    )
    assert [r[0] for r in rows] == [2, 3, 4]
    counts = services.elective_roster_import(actor=w.school_admin_a, block=w.block_a, rows=rows)
    assert counts == {GROUP_NAME: 1, w.group_a2.name: 1}
    assert members(w.group_a) == {"周小明"} and members(w.group_a2) == {"吴小红"}
    assert sel.block_roster_counts(w.block_a) == {"groups": {w.group_a.pk: 1, w.group_a2.pk: 1}, "unassigned": 1}
    # moving students between groups in one file is no clash
    rows = [(2, w.student_a1.student_no, w.group_a2.name), (3, w.student_a1b.student_no, GROUP_NAME)]
    services.elective_roster_import(actor=w.school_admin_a, block=w.block_a, rows=rows)
    assert members(w.group_a) == {"吴小红"} and members(w.group_a2) == {"周小明"}


def test_a_bad_sheet_names_each_row_and_writes_nothing(w):
    services.teaching_group_students_set(actor=w.school_admin_a, group=w.group_a, students=[w.student_a2])
    rows = [
        (2, w.student_a1.student_no, GROUP_NAME),
        (3, "G000000000000000000", GROUP_NAME),
        (4, w.student_a1b.student_no, "化学C班"),
        (5, w.student_a1.student_no, w.group_a2.name),
        (6, "", GROUP_NAME),
        (7, w.student_b1.student_no, GROUP_NAME),
    ]
    with pytest.raises(ValidationError) as exc:
        services.elective_roster_import(actor=w.school_admin_a, block=w.block_a, rows=rows)
    assert exc.value.message_dict["file"] == [
        "第 3 行：本校没有学籍号为 G000000000000000000 的学生",
        "第 4 行：本段没有名为“化学C班”的教学班",
        "第 5 行：周小明 与第 2 行重复",
        "第 6 行：学籍号为空",
        f"第 7 行：本校没有学籍号为 {w.student_b1.student_no} 的学生",
    ]
    assert members(w.group_a) == {"郑小刚"}
    # a student of a class the group does not draw from: found after the rows are read, still nothing written
    w.group_a2.classes.set([w.class_a2])
    with pytest.raises(ValidationError) as exc:
        services.elective_roster_import(
            actor=w.school_admin_a, block=w.block_a, rows=[(2, w.student_a1.student_no, w.group_a2.name)]
        )
    assert exc.value.message_dict["file"] == [
        f"第 2 行：周小明（{w.class_a1.name}）不在{w.group_a2.name}的学生来源班级"
    ]
    assert members(w.group_a) == {"郑小刚"}


def test_unusable_files_are_refused_with_a_reason(w):
    with pytest.raises(rosterfile.ImportFileError) as exc:
        rosterfile.read_rows(xlsx([("x", "y")], headers=("学号", "姓名")), "a.xlsx")
    assert "需要「学籍号」和「教学班」两列" in str(exc.value)
    with pytest.raises(rosterfile.ImportFileError):
        rosterfile.read_rows(b"%PDF-1.4 not a sheet", "a.pdf")


# --- pages -------------------------------------------------------------------------------------------------


def test_block_page_imports_the_sheet_and_shows_the_counts(w):
    url = reverse("timetable:elective_block", args=[w.school_a.pk, w.block_a.pk])
    admin = client_for(w.school_admin_a)
    # the template lists every student of the block's classes
    book = load_workbook(io.BytesIO(b"".join(admin.get(url + "roster.xlsx").streaming_content)))
    sheet = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert sheet[0] == rosterfile.HEADERS
    assert [r[3] for r in sheet[1:]] == ["周小明", "吴小红", "郑小刚"]
    assert all(r[4] in (None, "") for r in sheet[1:])
    # a bad file: the page lists the rows, nothing is written
    bad = xlsx([(w.student_a1.student_no, "周小明", "化学C班")])
    page = admin.post(url, {"action": "roster", "file": _upload(bad)}).content.decode()
    assert "第 2 行：本段没有名为“化学C班”的教学班" in page
    assert members(w.group_a) == set()
    # the filled template
    good = xlsx([(r[0], r[3], GROUP_NAME if r[3] != "郑小刚" else w.group_a2.name) for r in sheet[1:]])
    response = admin.post(url, {"action": "roster", "file": _upload(good)}, follow=True)
    body = response.content.decode()
    assert f"名单已导入：{w.group_a2.name} 1 人、{GROUP_NAME} 2 人" in body  # groups by name
    assert "来源班级的在读学生都已分到教学班" in body
    assert members(w.group_a) == {"周小明", "吴小红"}
    # a teacher may not import; another school's admin does not find the block
    assert client_for(w.teacher_a).post(url, {"action": "roster", "file": _upload(good)}).status_code in (403, 404)
    assert client_for(w.school_admin_b).get(url).status_code == 404
    assert client_for(w.school_admin_b).get(url + "roster.xlsx").status_code == 404
    assert Client().get(url + "roster.xlsx").status_code == 302


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("名单.xlsx", data)


def test_roster_page_ticks_students_and_the_teacher_reads_it(w):
    url = reverse("timetable:teaching_group_roster", args=[w.group_a.pk])
    admin = client_for(w.school_admin_a)
    services.teaching_group_students_set(actor=w.school_admin_a, group=w.group_a2, students=[w.student_a2])
    page = admin.get(url).content.decode()
    assert page.count('data-testid="candidate"') == 3
    assert "disabled" in page.split("郑小刚")[0].rsplit("<tr", 1)[1]  # in 历史A班 already
    response = admin.post(url, {"students": [w.student_a1.pk, w.student_a1b.pk]}, follow=True)
    assert "的名单已保存" in response.content.decode()
    assert members(w.group_a) == {"周小明", "吴小红"}
    # forcing a student of another group in: the reason, nothing written
    page = admin.post(url, {"students": [w.student_a2.pk]}).content.decode()
    assert f"郑小刚 已在本段的{w.group_a2.name}" in page
    assert members(w.group_a) == {"周小明", "吴小红"}
    # the group's teacher (陈老师) finds it on 我的课表, reads the list and its Excel; he cannot change it
    teacher = client_for(w.teacher_a)
    links = teacher.get(reverse("timetable:my")).content.decode().split('data-testid="my-groups"')[1].split("</p>")[0]
    assert f'href="{url}"' in links and f"{GROUP_NAME}（2 人）" in links
    body = teacher.get(url).content.decode()
    assert body.count('data-testid="member"') == 2 and "共 2 人" in body
    book = load_workbook(io.BytesIO(b"".join(teacher.get(url + "?format=xlsx").streaming_content)))
    assert [r[2] for r in book.active.iter_rows(min_row=2, values_only=True)] == ["周小明", "吴小红"]
    assert teacher.post(url, {"students": []}).status_code == 403
    assert members(w.group_a) == {"周小明", "吴小红"}
    # out of scope: another teacher of the school, another school's admin, anonymous
    assert client_for(w.head_teacher_a1).get(url).status_code == 404
    assert client_for(w.school_admin_b).get(url).status_code == 404
    assert Client().get(url).status_code == 302


# --- API ---------------------------------------------------------------------------------------------------


def test_api_reads_and_sets_a_roster(w):
    url = f"/api/v1/timetable/groups/{w.group_a.pk}/students"
    read = f"/api/v1/timetable/groups/{w.group_a.pk}"
    admin = client_for(w.school_admin_a)
    r = admin.put(url, {"students": [w.student_a1.pk, w.student_a2.pk]}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert [s["name"] for s in r.json()["students"]] == ["周小明", "郑小刚"] and r.json()["count"] == 2
    assert [s["name"] for s in client_for(w.teacher_a).get(read).json()["students"]] == ["周小明", "郑小刚"]
    # a student of another school: 422 with the reason, nothing written
    r = admin.put(url, {"students": [w.student_b1.pk]}, content_type="application/json")
    assert r.status_code == 422 and "不在物理A班的学生来源班级" in r.json()["detail"]
    assert members(w.group_a) == {"周小明", "郑小刚"}
    assert client_for(w.teacher_a).put(url, {"students": []}, content_type="application/json").status_code == 403
    assert client_for(w.school_admin_b).get(read).status_code == 404
    assert client_for(w.school_admin_b).put(url, {"students": []}, content_type="application/json").status_code == 404
    assert client_for(w.student_user_a1).get(read).status_code == 404
    assert Client().get(read).status_code == 401
    assert Client().put(url, {"students": []}, content_type="application/json").status_code == 401
    assert members(w.group_a) == {"周小明", "郑小刚"}


# --- the student's timetable --------------------------------------------------------------------------------


def lesson_at(user, klass, day=2, period=1) -> dict:
    items = client_for(user).get(f"/api/v1/timetable/classes/{klass.pk}").json()["items"]
    return next(i for i in items if i["day"] == day and i["period"] == period)


def test_students_and_parents_see_their_own_group(w):
    w.tt_a.refresh_from_db()
    services.teaching_group_students_set(actor=w.school_admin_a, group=w.group_a, students=[w.student_a1])
    services.teaching_group_students_set(actor=w.school_admin_a, group=w.group_a2, students=[w.student_a2])
    mine = lesson_at(w.student_user_a1, w.class_a1)
    assert (mine["subject"], mine["teacher"], mine["room"]) == (GROUP_NAME, w.math_a.name, w.room_a.name)
    assert lesson_at(w.parent1, w.class_a1)["subject"] == GROUP_NAME
    assert lesson_at(w.parent2, w.class_a2)["subject"] == w.group_a2.name
    # the head teacher and the admin see the block with all its groups
    whole = lesson_at(w.head_teacher_a1, w.class_a1)
    assert whole["subject"].startswith("走班：") and whole["teacher"] == ""
    # the page: the student's cell names the group, not the other one
    page = client_for(w.student_user_a1).get(reverse("timetable:my")).content.decode()
    cell = page.split('data-testid="cell-2-1"')[1].split("</td>")[0]
    assert GROUP_NAME in cell and w.group_a2.name not in cell and "走班" in cell
    # and the calendar feed
    feed = timetable_ics(w.student_user_a1, today=timezone.localdate())
    assert f"SUMMARY:{GROUP_NAME}（" in feed and w.group_a2.name not in feed
    # nobody assigned: the student sees every group
    TeachingGroup.students.through.objects.all().delete()
    assert lesson_at(w.student_user_a1, w.class_a1)["subject"].startswith("走班：")
