"""Scope-matrix cases of the resource library pages (see core/scope_matrix.py). Objects come from
``resources.testing.matrix``: a 校级 resource of school A (teacher_a's), a resource pending school review
(head_teacher_a1's) and a push to class a1."""

import datetime as dt

from core.scope_matrix import Case, register_case

from .testing import PENDING_TITLE, SCHOOL_TITLE


def _m(w):
    from .testing import matrix

    return matrix(w)


def _made(w):
    _m(w)
    return []


res = lambda w: [_m(w).res_school.pk]  # noqa: E731
title = lambda w: SCHOOL_TITLE  # noqa: E731
tomorrow = lambda: (dt.date.today() + dt.timedelta(days=2)).isoformat()  # noqa: E731

reg = register_case
reg(Case("resources:browse", _made, "head_teacher_a1", "teacher_b", kind="list", marker=title))
reg(Case("resources:upload", in_scope="teacher_a", out_of_scope="parent1", marker=lambda w: "个人空间"))
reg(
    Case(
        "resources:knowledge_options",
        in_scope="teacher_a",
        out_of_scope="parent1",
        marker=lambda w: "knowledge-fields",
        query=lambda w: {"stage": "junior", "subject": w.math.pk},
    )
)
reg(Case("resources:mine", _made, "teacher_a", "teacher_b", kind="list", marker=title))
reg(Case("resources:review", _made, "school_admin_a", "school_admin_b", kind="list", marker=lambda w: PENDING_TITLE))
reg(Case("resources:stats", _made, "school_admin_a", "school_admin_b", kind="list", marker=lambda w: w.school_a.name))
reg(Case("resources:pushes", _made, "teacher_a", "teacher_b", kind="list", marker=title))
reg(
    Case(
        "resources:push_detail",
        lambda w: [_m(w).push.pk],
        "teacher_a",
        "teacher_b",
        marker=lambda w: w.student_a1.person.name,
    )
)
reg(Case("resources:my_tasks", _made, "student_user_a1", "student_user_a2", kind="list", marker=title))
reg(
    Case(
        "resources:task_done",
        lambda w: [_m(w).push_targets[0].pk],
        "student_user_a1",
        "student_user_a2",
        method="post",
    )
)
reg(Case("resources:detail", res, "head_teacher_a1", "teacher_b", marker=title))
reg(Case("resources:download", res, "head_teacher_a1", "teacher_b", kind="download"))
reg(Case("resources:inline", res, "head_teacher_a1", "teacher_b", marker=lambda w: "%PDF-1.4"))
reg(Case("resources:rate", res, "head_teacher_a1", "teacher_b", method="post", data=lambda w: {"stars": "4"}))
reg(Case("resources:comment", res, "head_teacher_a1", "teacher_b", method="post", data=lambda w: {"body": "好用"}))
reg(Case("resources:favorite", res, "head_teacher_a1", "teacher_b", method="post", data=lambda w: {"on": "1"}))
reg(
    Case(
        "resources:push",
        res,
        "teacher_a",
        "teacher_b",
        method="post",
        data=lambda w: {"klass": w.class_a1.pk, "due_date": tomorrow(), "target": "all"},
    )
)
reg(
    Case(
        "resources:action",
        lambda w: [_m(w).res_pending.pk, "school_approve"],
        "school_admin_a",
        "school_admin_b",
        method="post",
    )
)
