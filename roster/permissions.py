from core.scope import register_permissions

FULL = {"view", "add", "change", "archive", "export"}
for label in ["roster.studentprofile", "roster.rosterchange", "roster.importjob"]:
    register_permissions("district_admin", label, FULL | {"approve"})
    register_permissions("school_admin", label, FULL)
for label in ["roster.studentprofile", "roster.rosterchange"]:
    register_permissions("grade_leader", label, {"view", "export"})
    register_permissions("head_teacher", label, {"view", "export"})
register_permissions("guardian", "roster.rosterchange", {"view"})
register_permissions("student", "roster.rosterchange", {"view"})
