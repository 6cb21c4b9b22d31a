"""The scope test matrix registry.

Every page and form endpoint is registered here with the world users who must and must not reach it.
``core/tests/test_scope_matrix.py`` walks every case as anonymous, as an out-of-scope user and as an
in-scope user, and fails when a URL exists that no case covers. New modules register their URLs with
``register_case`` (in their ``scope_cases`` module) so the guarantee grows with the product.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    url_name: str
    args: Callable = field(default=lambda w: [])
    in_scope: str = ""  # attribute of the test world holding the user who may use it
    out_of_scope: str = ""  # attribute of the user from another school/class/family who may not
    # "detail": out-of-scope gets 403/404; "list": 200 but without the marker; "download": like detail, and
    # the in-scope user receives a file attachment
    kind: str = "detail"
    marker: Callable | None = None  # text the in-scope user sees and the out-of-scope user must not
    method: str = "get"
    data: Callable = field(default=lambda w: {})
    query: Callable = field(default=lambda w: {})  # query-string parameters (e.g. an export's school filter)


CASES: list[Case] = []
# URL names that need no scope: public or self-service pages of the logged-in user.
PUBLIC = {"core:login", "core:logout", "core:healthz", "core:activate", "core:otp"}
SELF_SERVICE = {
    "core:home",
    "core:account",
    "core:password_change",
    "core:token_create",
    "core:token_revoke",
    "core:logout_everywhere",
}


def register_case(case: Case) -> None:
    CASES.append(case)


def register_public(url_name: str) -> None:
    """A page anyone may open (a registration form reached by an invitation code…)."""
    PUBLIC.add(url_name)


def register_self_service(url_name: str) -> None:
    """A page of the logged-in user's own things (their inbox…), with no one else's data to reach."""
    SELF_SERVICE.add(url_name)


def _core_cases() -> None:
    reg = register_case
    name = lambda attr: lambda w: getattr(w, attr).name  # noqa: E731
    person_name = lambda attr: lambda w: getattr(w, attr).person.name  # noqa: E731
    # lists: the out-of-scope user gets the page but never the other school's rows
    reg(
        Case(
            "core:school_list",
            kind="list",
            in_scope="school_admin_a",
            out_of_scope="school_admin_b",
            marker=name("school_a"),
        )
    )
    reg(
        Case(
            "core:class_list",
            kind="list",
            in_scope="head_teacher_a1",
            out_of_scope="teacher_b",
            marker=lambda w: w.school_a.name,
        )
    )
    reg(
        Case(
            "core:student_list",
            kind="list",
            in_scope="teacher_a",
            out_of_scope="head_teacher_a2",
            marker=person_name("student_a1"),
        )
    )
    reg(
        Case(
            "core:staff_list",
            kind="list",
            in_scope="school_admin_a",
            out_of_scope="school_admin_b",
            marker=lambda w: w.math_a.name,
        )
    )
    reg(
        Case(
            "core:parent_list",
            kind="list",
            in_scope="head_teacher_a1",
            out_of_scope="head_teacher_a2",
            marker=lambda w: w.parent1_person.name,
        )
    )
    reg(
        Case(
            "core:roles",
            kind="list",
            in_scope="school_admin_a",
            out_of_scope="school_admin_b",
            marker=lambda w: "sadmin_a",
        )
    )
    reg(
        Case(
            "core:audit",
            kind="list",
            in_scope="auditor",
            out_of_scope="school_admin_b",
            marker=lambda w: w.school_a.name,
        )
    )
    # details
    reg(Case("core:school_detail", lambda w: [w.school_a.pk], "teacher_a", "teacher_b", marker=name("school_a")))
    reg(Case("core:school_create", lambda w: [], "district_admin", "school_admin_a", marker=lambda w: "学校标识码"))
    reg(
        Case("core:school_edit", lambda w: [w.school_a.pk], "school_admin_a", "school_admin_b", marker=name("school_a"))
    )
    reg(
        Case("core:grade_detail", lambda w: [w.grade_a.pk], "school_admin_a", "school_admin_b", marker=name("school_a"))
    )
    reg(
        Case(
            "core:grade_create", lambda w: [w.school_a.pk], "school_admin_a", "school_admin_b", marker=name("school_a")
        )
    )
    reg(
        Case("core:class_detail", lambda w: [w.class_a1.pk], "teacher_a", "teacher_b", marker=person_name("student_a1"))
    )
    reg(
        Case(
            "core:class_edit",
            lambda w: [w.class_a1.pk],
            "school_admin_a",
            "head_teacher_a1",
            marker=lambda w: w.class_a1.name,
        )
    )
    reg(
        Case("core:class_create", lambda w: [w.grade_a.pk], "school_admin_a", "school_admin_b", marker=name("school_a"))
    )
    reg(
        Case("core:student_detail", lambda w: [w.student_a1.pk], "parent1", "parent2", marker=person_name("student_a1"))
    )
    reg(
        Case(
            "core:guardian_bind",
            lambda w: [w.student_a1.pk],
            "head_teacher_a1",
            "head_teacher_a2",
            marker=person_name("student_a1"),
        )
    )
    reg(
        Case(
            "core:staff_create", lambda w: [w.school_a.pk], "school_admin_a", "school_admin_b", marker=name("school_a")
        )
    )
    reg(
        Case(
            "core:person_detail",
            lambda w: [w.parent1_person.pk],
            "head_teacher_a1",
            "head_teacher_a2",
            marker=lambda w: w.parent1_person.name,
        )
    )
    reg(
        Case(
            "core:campus_create", lambda w: [w.school_a.pk], "school_admin_a", "school_admin_b", marker=name("school_a")
        )
    )
    reg(Case("core:base_data", lambda w: [], "school_admin_a", "parent1", marker=lambda w: "体育与健康"))
    reg(
        Case(
            "core:person_edit",
            lambda w: [w.student_a1.person_id],
            "head_teacher_a1",
            "head_teacher_a2",
            marker=person_name("student_a1"),
        )
    )
    # writes: the out-of-scope POST is refused and the in-scope one succeeds (redirect)
    reg(Case("core:school_archive", lambda w: [w.school_a.pk], "district_admin", "school_admin_b", method="post"))
    reg(Case("core:grade_archive", lambda w: [w.grade_a.pk], "school_admin_a", "school_admin_b", method="post"))
    reg(Case("core:class_archive", lambda w: [w.class_a2.pk], "school_admin_a", "school_admin_b", method="post"))
    reg(
        Case(
            "core:assignment_set",
            lambda w: [w.class_a1.pk],
            "school_admin_a",
            "school_admin_b",
            method="post",
            data=lambda w: {"subject": w.chinese.pk, "teacher": w.head_a1.pk, "periods_per_week": 6},
        )
    )
    reg(
        Case(
            "core:assignment_remove",
            lambda w: [w.class_a1.teaching_assignments.first().pk],
            "school_admin_a",
            "school_admin_b",
            method="post",
        )
    )
    reg(
        Case(
            "core:guardian_unbind",
            lambda w: [w.student_a2.guardianships.first().pk],
            "head_teacher_a2",
            "head_teacher_a1",
            method="post",
        )
    )
    reg(
        Case(
            "core:person_reveal",
            lambda w: [w.student_a1.person_id, "id_number"],
            "school_admin_a",
            "school_admin_b",
            method="post",
            marker=lambda w: w.student_a1.person.id_number,
        )
    )
    reg(
        Case(
            "core:account_activation",
            lambda w: [w.student_a1.person_id],
            "head_teacher_a1",
            "head_teacher_a2",
            method="post",
        )
    )
    reg(
        Case(
            "core:account_active",
            lambda w: [w.student_a1.person_id],
            "school_admin_a",
            "school_admin_b",
            method="post",
            data=lambda w: {"active": "0"},
        )
    )
    reg(
        Case(
            "core:role_grant_create",
            lambda w: [],
            "school_admin_a",
            "teacher_a",
            method="post",
            data=lambda w: {"username": "teacher_a", "role": "grade_leader", "grade": w.grade_a.pk},
        )
    )
    reg(
        Case(
            "core:role_grant_revoke",
            lambda w: [w.school_admin_a.role_grants.first().pk],
            "district_admin",
            "school_admin_b",
            method="post",
        )
    )


_core_cases()


def _base_data_cases() -> None:
    register_case(Case("core:term_current", lambda w: [w.term.pk], "district_admin", "school_admin_a", method="post"))
    register_case(
        Case(
            "core:subject_active",
            lambda w: [w.math.pk],
            "district_admin",
            "school_admin_a",
            method="post",
            data=lambda w: {"active": "0"},
        )
    )
    register_case(
        Case(
            "core:staff_post_end",
            lambda w: [w.math_a.staff_posts.first().pk],
            "school_admin_a",
            "school_admin_b",
            method="post",
        )
    )


_base_data_cases()
