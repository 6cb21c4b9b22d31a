"""Scope-matrix cases of every timetable page (see core/scope_matrix.py), on the fixtures of
``timetable.testing.tt_world``. The iCalendar feed is public (its secret token is the key) and regenerating
one's own token is self-service."""

from core.scope_matrix import Case, register_case, register_public, register_self_service

from .testing import BLOCK_NAME, DRAFT_NAME, GROUP_NAME, PUBLISHED_NAME, REASON, choosing_open, parallel_world, tt_world

register_public("timetable:ics_feed")  # the secret token is the credential
register_self_service("timetable:ics_regenerate")
# a teacher's own 尽量不排 wishes: only their own rule at their own schools (others: 404)
register_self_service("timetable:my_wishes")
register_self_service("timetable:my_wish_slot")


def _w(w):
    return tt_world(w)


def _none(w):
    tt_world(w)
    return []


def _school(w):
    return [_w(w).school_a.pk]


reg = register_case
# everyone's own timetables
reg(Case("timetable:my", _none, "student_user_a1", "student_user_a2", kind="list", marker=lambda w: _w(w).math_a.name))
reg(Case("timetable:my", _none, "parent2", "student_user_b1", kind="list", marker=lambda w: _w(w).head_a2.name))
reg(Case("timetable:class", lambda w: [_w(w).class_a1.pk], "parent1", "parent2", marker=lambda w: w.math_a.name))
reg(
    Case(
        "timetable:class_export",
        lambda w: [_w(w).class_a1.pk, "xlsx"],
        "student_user_a1",
        "student_user_a2",
        kind="download",
    )
)
reg(
    Case(
        "timetable:teacher",
        lambda w: [_w(w).school_a.pk, w.math_a.pk],
        "teacher_a",
        "teacher_b",
        marker=lambda w: w.class_a1.name,
    )
)
reg(
    Case(
        "timetable:teacher",
        lambda w: [_w(w).school_a.pk, w.math_a.pk],
        "school_admin_a",
        "head_teacher_a2",
        marker=lambda w: w.class_a1.name,
    )
)
reg(
    Case(
        "timetable:teacher_export",
        lambda w: [_w(w).school_a.pk, w.math_a.pk, "pdf"],
        "teacher_a",
        "teacher_b",
        kind="download",
    )
)
# 教务 setup
reg(
    Case(
        "timetable:manage_index",
        _none,
        "school_admin_a",
        "school_admin_b",
        kind="list",
        marker=lambda w: w.school_a.name,
    )
)
for name in ("timetable:manage", "timetable:week", "timetable:plans", "timetable:rooms", "timetable:teachers"):
    reg(Case(name, _school, "school_admin_a", "school_admin_b", marker=lambda w: w.school_a.name))
reg(Case("timetable:manage", _school, "district_admin", "teacher_a", marker=lambda w: w.school_a.name))
reg(
    Case(
        "timetable:week_slot",
        _school,
        "school_admin_a",
        "school_admin_b",
        method="post",
        data=lambda w: {"day": 2, "period": 5},
    )
)
reg(
    Case(
        "timetable:teacher_rule",
        lambda w: [_w(w).school_a.pk, w.math_a.pk],
        "school_admin_a",
        "school_admin_b",
        marker=lambda w: w.math_a.name,
    )
)
reg(
    Case(
        "timetable:teacher_slot",
        lambda w: [_w(w).school_a.pk, w.math_a.pk],
        "school_admin_a",
        "teacher_a",
        method="post",
        data=lambda w: {"day": 4, "period": 5},
    )
)
reg(
    Case(
        "timetable:class_rule",
        lambda w: [_w(w).class_a1.pk],
        "school_admin_a",
        "school_admin_b",
        marker=lambda w: w.class_a1.name,
    )
)
reg(
    Case(
        "timetable:class_slot",
        lambda w: [_w(w).class_a1.pk],
        "school_admin_a",
        "head_teacher_a1",
        method="post",
        data=lambda w: {"day": 4, "period": 5},
    )
)
# versions
reg(
    Case(
        "timetable:version_create",
        _school,
        "school_admin_a",
        "school_admin_b",
        method="post",
        data=lambda w: {"name": "新版本", "time_limit": 5},
    )
)
reg(
    Case(
        "timetable:version",
        lambda w: [_w(w).tt_a.pk],
        "school_admin_a",
        "school_admin_b",
        marker=lambda w: PUBLISHED_NAME,
    )
)
reg(
    Case(
        "timetable:version", lambda w: [_w(w).tt_a_draft.pk], "school_admin_a", "teacher_a", marker=lambda w: DRAFT_NAME
    )
)
reg(
    Case(
        "timetable:version_progress",
        lambda w: [_w(w).tt_a_running.pk],
        "school_admin_a",
        "school_admin_b",
        marker=lambda w: "正在排课",
    )
)
reg(Case("timetable:version_solve", lambda w: [_w(w).tt_a_draft.pk], "school_admin_a", "school_admin_b", method="post"))
reg(Case("timetable:version_solve", lambda w: [_w(w).tt_a_draft.pk], "school_admin_a", "district_admin", method="post"))
reg(
    Case(
        "timetable:version_publish",
        lambda w: [_w(w).tt_a_draft.pk],
        "school_admin_a",
        "school_admin_b",
        method="post",
        data=lambda w: {"effective_from": "2026-12-01"},
    )
)
reg(Case("timetable:version_export", lambda w: [_w(w).tt_a.pk], "district_admin", "teacher_a", kind="download"))
reg(Case("timetable:version_copy", lambda w: [_w(w).tt_a.pk], "school_admin_a", "school_admin_b", method="post"))
reg(
    Case(
        "timetable:entry_move",
        lambda w: [_w(w).draft_entry.pk],
        "school_admin_a",
        "school_admin_b",
        method="post",
        data=lambda w: {"day": 2, "period": 2, "view": "class", "id": w.class_a1.pk},
        marker=lambda w: "数学",
    )
)
reg(
    Case(
        "timetable:entry_move",
        lambda w: [_w(w).draft_entry.pk],
        "school_admin_a",
        "teacher_a",
        method="post",
        data=lambda w: {"day": 2, "period": 2},
    )
)
reg(Case("timetable:entry_lock", lambda w: [_w(w).draft_entry.pk], "school_admin_a", "school_admin_b", method="post"))
# 调课 / 代课
reg(Case("timetable:substitutions", _none, "teacher_a", "teacher_b", kind="list", marker=lambda w: REASON))
reg(Case("timetable:substitutions", _none, "school_admin_a", "school_admin_b", kind="list", marker=lambda w: REASON))
reg(
    Case(
        "timetable:substitution_new",
        lambda w: [_w(w).entry_a1_math.pk],
        "teacher_a",
        "teacher_b",
        marker=lambda w: w.class_a1.name,
    )
)
reg(
    Case(
        "timetable:substitution_new",
        lambda w: [_w(w).entry_a1_math.pk],
        "teacher_a",
        "head_teacher_a1",
        marker=lambda w: "本学期已代",
    )
)
reg(
    Case(
        "timetable:substitution",
        lambda w: [_w(w).sub_a.pk],
        "school_admin_a",
        "school_admin_b",
        marker=lambda w: REASON,
    )
)
reg(Case("timetable:substitution", lambda w: [_w(w).sub_a.pk], "teacher_a", "parent2", marker=lambda w: REASON))
reg(
    Case(
        "timetable:substitution_decide",
        lambda w: [_w(w).sub_a.pk],
        "school_admin_a",
        "teacher_a",
        method="post",
        data=lambda w: {"decision": "reject"},
    )
)
reg(Case("timetable:substitution_cancel", lambda w: [_w(w).sub_a.pk], "teacher_a", "teacher_b", method="post"))


def _room_and_preference_cases() -> None:
    """A room's unavailable slots (教务) and the teacher's 尽量不排 marks."""
    reg(
        Case(
            "timetable:room_rule",
            lambda w: [_w(w).school_a.pk, w.room_a.pk],
            "school_admin_a",
            "school_admin_b",
            marker=lambda w: w.room_a.name,
        )
    )
    reg(
        Case(
            "timetable:room_rule",
            lambda w: [_w(w).school_a.pk, w.room_a.pk],
            "district_admin",
            "teacher_a",
            marker=lambda w: w.room_a.name,
        )
    )
    reg(
        Case(
            "timetable:room_slot",
            lambda w: [_w(w).school_a.pk, w.room_a.pk],
            "school_admin_a",
            "school_admin_b",
            method="post",
            data=lambda w: {"day": 1, "period": 2},
        )
    )
    reg(
        Case(
            "timetable:room_slot",
            lambda w: [_w(w).school_a.pk, w.room_a.pk],
            "school_admin_a",
            "teacher_a",
            method="post",
            data=lambda w: {"day": 1, "period": 2},
        )
    )
    reg(
        Case(
            "timetable:teacher_slot",
            lambda w: [_w(w).school_a.pk, w.math_a.pk],
            "school_admin_a",
            "school_admin_b",
            method="post",
            data=lambda w: {"day": 3, "period": 4, "paint": "soft"},
        )
    )


_room_and_preference_cases()


# 合班 / 走班 setup
def _pw(w):
    return parallel_world(w)


reg(
    Case(
        "timetable:combined",
        lambda w: [_pw(w).school_a.pk],
        "school_admin_a",
        "school_admin_b",
        marker=lambda w: "体育与健康",
    )
)
reg(
    Case(
        "timetable:combined",
        lambda w: [_pw(w).school_a.pk],
        "district_admin",
        "teacher_a",
        marker=lambda w: "体育与健康",
    )
)
reg(
    Case(
        "timetable:combined_delete",
        lambda w: [_pw(w).school_a.pk, w.combined_a.pk],
        "school_admin_a",
        "school_admin_b",
        method="post",
    )
)
reg(
    Case(
        "timetable:combined_delete",
        lambda w: [_pw(w).school_a.pk, w.combined_a.pk],
        "school_admin_a",
        "district_admin",
        method="post",
    )
)
reg(
    Case(
        "timetable:electives",
        lambda w: [_pw(w).school_a.pk],
        "school_admin_a",
        "school_admin_b",
        marker=lambda w: BLOCK_NAME,
    )
)
reg(
    Case(
        "timetable:elective_block",
        lambda w: [_pw(w).school_a.pk, w.block_a.pk],
        "school_admin_a",
        "school_admin_b",
        marker=lambda w: GROUP_NAME,
    )
)
reg(
    Case(
        "timetable:elective_block",
        lambda w: [_pw(w).school_a.pk, w.block_a.pk],
        "school_admin_a",
        "school_admin_b",
        method="post",
        data=lambda w: {"action": "block", "grade": w.grade_a.pk, "name": "矩阵选考B段", "periods_per_week": 2},
    )
)
reg(
    Case(
        "timetable:elective_block_delete",
        lambda w: [_pw(w).school_a.pk, w.block_a.pk],
        "school_admin_a",
        "school_admin_b",
        method="post",
    )
)
reg(
    Case(
        "timetable:teaching_group_delete",
        lambda w: [_pw(w).school_a.pk, w.group_a.pk],
        "school_admin_a",
        "school_admin_b",
        method="post",
    )
)
reg(
    Case(
        "timetable:teaching_group_delete",
        lambda w: [_pw(w).school_a.pk, w.group_a.pk],
        "school_admin_a",
        "teacher_a",
        method="post",
    )
)


def _substitution_stats_cases() -> None:
    """代课统计 of a school and its Excel: the school's and the district's admins; not another school, not teachers."""
    reg(
        Case(
            "timetable:substitution_stats",
            _school,
            "school_admin_a",
            "school_admin_b",
            marker=lambda w: w.school_a.name,
        )
    )
    reg(Case("timetable:substitution_stats", _school, "district_admin", "teacher_a", marker=lambda w: "代课统计"))
    reg(Case("timetable:substitution_stats_export", _school, "school_admin_a", "school_admin_b", kind="download"))
    reg(Case("timetable:substitution_stats_export", _school, "district_admin", "teacher_a", kind="download"))


_substitution_stats_cases()


def _rosters_cases() -> None:
    """教学班名单 (the group's teacher and the school's admins; ticking only the admins), the block's 名单 template,
    and 网上选课 (a student and a parent see their own 走班 only)."""
    reg(
        Case(
            "timetable:elective_roster_template",
            lambda w: [_pw(w).school_a.pk, w.block_a.pk],
            "school_admin_a",
            "school_admin_b",
            kind="download",
        )
    )
    group = lambda w: [_pw(w).group_a.pk]  # noqa: E731
    reg(Case("timetable:teaching_group_roster", group, "teacher_a", "head_teacher_a1", marker=lambda w: GROUP_NAME))
    reg(Case("timetable:teaching_group_roster", group, "school_admin_a", "school_admin_b", marker=lambda w: GROUP_NAME))
    reg(
        Case(
            "timetable:teaching_group_roster",
            group,
            "school_admin_a",
            "teacher_a",
            method="post",
            data=lambda w: {"students": [w.student_a1.pk]},
        )
    )
    reg(
        Case(
            "timetable:choose",
            _choosing,
            "student_user_a1",
            "student_user_b1",
            kind="list",
            marker=lambda w: BLOCK_NAME,
        )
    )
    reg(Case("timetable:choose", _choosing, "parent2", "student_user_b1", kind="list", marker=lambda w: BLOCK_NAME))


def _choosing(w):
    """The 走班 of school A with 网上选课 open now."""
    choosing_open(tt_world(w))
    return []


_rosters_cases()
