"""Which role may do which action on which model, within the grants it holds (see core.scope).

Actions: view, add, change, archive, export, reveal (see full 身份证号/phone), manage (grant roles).
Other apps register their own models' permissions the same way in their AppConfig.ready().
"""

from .scope import register_permissions

ORG = ["core.district", "core.school", "core.campus", "core.grade", "core.class", "core.subject"]
PEOPLE = ["core.student", "core.staffpost", "core.teachingassignment", "core.guardianship"]
CALENDAR = ["core.academicyear", "core.term"]
ALL_WRITE = {"view", "add", "change", "archive", "export"}

# 区县管理员: everything in the district, including reading full ID numbers (audited) and granting roles.
for label in ORG + PEOPLE + CALENDAR:
    register_permissions("district_admin", label, ALL_WRITE)
for label in ["core.student", "core.staffpost", "core.guardianship"]:
    register_permissions("district_admin", label, {"reveal"})
register_permissions("district_admin", "core.rolegrant", {"view", "add", "archive", "manage"})
register_permissions("district_admin", "core.auditlog", {"view", "export"})

# 学校管理员 (校长/教务): their school's structure and people; district tables read-only.
for label in ["core.campus", "core.grade", "core.class", *PEOPLE]:
    register_permissions("school_admin", label, ALL_WRITE)
for label in ["core.student", "core.staffpost", "core.guardianship"]:
    register_permissions("school_admin", label, {"reveal"})
register_permissions("school_admin", "core.school", {"view", "change", "export"})
for label in ["core.district", "core.subject", *CALENDAR]:
    register_permissions("school_admin", label, {"view"})
register_permissions("school_admin", "core.rolegrant", {"view", "add", "archive", "manage"})
register_permissions("school_admin", "core.auditlog", {"view"})

# 审计管理员 (三员: audit admin): reads the audit log, changes nothing.
register_permissions("auditor", "core.auditlog", {"view", "export"})
register_permissions("auditor", "core.district", {"view"})
register_permissions("auditor", "core.school", {"view"})

# 年级组长: their grade's classes, students and assignments.
for label in ["core.grade", "core.class", "core.student", "core.teachingassignment", "core.guardianship"]:
    register_permissions("grade_leader", label, {"view", "export"})
for label in ["core.district", "core.school", "core.subject", *CALENDAR]:
    register_permissions("grade_leader", label, {"view"})

# 教职工 (any staff post): the school's structure and colleague directory.
for label in ["core.district", "core.school", "core.campus", "core.grade", "core.class", "core.subject", *CALENDAR]:
    register_permissions("staff", label, {"view"})
register_permissions("staff", "core.staffpost", {"view"})
register_permissions("staff", "core.teachingassignment", {"view"})

# 班主任: their class's students and families; may bind parents to students.
register_permissions("head_teacher", "core.class", {"view"})
register_permissions("head_teacher", "core.student", {"view", "change", "export"})
register_permissions("head_teacher", "core.guardianship", {"view", "add", "archive", "export"})
register_permissions("head_teacher", "core.teachingassignment", {"view"})

# 任课教师: the students of the classes they teach this term.
register_permissions("subject_teacher", "core.class", {"view"})
register_permissions("subject_teacher", "core.student", {"view"})
register_permissions("subject_teacher", "core.teachingassignment", {"view"})

# 家长: their own children, their classes and schools.
for label in ["core.student", "core.class", "core.school", "core.grade", "core.guardianship"]:
    register_permissions("guardian", label, {"view"})
register_permissions("guardian", "core.teachingassignment", {"view"})

# 学生: themselves, their class and school.
for label in ["core.student", "core.class", "core.school", "core.grade"]:
    register_permissions("student", label, {"view"})
register_permissions("student", "core.teachingassignment", {"view"})
