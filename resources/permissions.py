"""Who may do what in the resource library (registered in ResourcesConfig.ready).

``view`` on ``resources.resource`` only opens the district's rows; which of them a user actually sees depends
on the level (``resources.selectors.resources_visible``). Reviewers: ``school_admin`` for the school level,
``district_admin`` and ``researcher`` (教研员) for the district level. Teachers push to the classes they teach;
students see and finish their own tasks, parents see their children's.
"""

from core.scope import register_permissions

STAFF_ROLES = ("staff", "head_teacher", "subject_teacher", "grade_leader", "school_admin")
DISTRICT_REVIEWERS = ("district_admin", "researcher")
SCHOOL_REVIEWERS = ("school_admin",)
MEMBER_ROLES = (*STAFF_ROLES, "student")  # roles that make one a member of a school for 校级 resources

for role in (*STAFF_ROLES, *DISTRICT_REVIEWERS):
    register_permissions(role, "resources.resource", {"view", "add"})
    for label in ("resources.rating", "resources.comment", "resources.favorite"):
        register_permissions(role, label, {"view", "add"})
register_permissions("student", "resources.resource", {"view"})
for role in (*SCHOOL_REVIEWERS, *DISTRICT_REVIEWERS):
    register_permissions(role, "resources.resource", {"review", "export"})
    register_permissions(role, "resources.resourcereview", {"view"})
    register_permissions(role, "resources.download", {"view"})

# 学习任务 (push): the class's teachers push and follow completion; the school and district read it
for role in ("head_teacher", "subject_teacher"):
    register_permissions(role, "resources.push", {"view", "add"})
    register_permissions(role, "resources.pushtarget", {"view"})
for role in ("school_admin", "grade_leader", *DISTRICT_REVIEWERS):
    register_permissions(role, "resources.push", {"view"})
    register_permissions(role, "resources.pushtarget", {"view"})
register_permissions("student", "resources.pushtarget", {"view", "change"})
register_permissions("student", "resources.push", {"view"})
register_permissions("guardian", "resources.pushtarget", {"view"})
register_permissions("guardian", "resources.push", {"view"})
