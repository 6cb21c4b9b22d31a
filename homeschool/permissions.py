"""Who may do what in 家校互动 (registered in HomeschoolConfig.ready).

* invitation codes and binding requests: the class's 班主任 and the school admin; the grade leader reads them;
* leave requests: a parent submits (``add``) and cancels (``cancel``) for their own child; the 班主任 approves
  the first step (``approve`` at class level), the grade leader (or the school admin when the grade has none)
  the second one for long leaves; 销假 (``return``) by the 班主任 or the parent;
* attendance: the 班主任 takes it (``add``/``change``); subject teachers of the class read it; the grade leader
  and school admin read their grade/school and export; the district admin reads sheets only (school-level
  rates), never the per-student marks; parents and students read their own marks.
"""

from core.scope import register_permissions

CODE, BINDING = "homeschool.invitationcode", "homeschool.bindingrequest"
LEAVE, SHEET, MARK = "homeschool.leaverequest", "homeschool.attendancesheet", "homeschool.attendancemark"

for role in ("head_teacher", "school_admin"):
    register_permissions(role, CODE, {"view", "add", "change"})
    register_permissions(role, BINDING, {"view", "change"})
register_permissions("grade_leader", CODE, {"view"})
register_permissions("grade_leader", BINDING, {"view"})

register_permissions("guardian", LEAVE, {"view", "add", "cancel", "return"})
register_permissions("student", LEAVE, {"view"})
register_permissions("head_teacher", LEAVE, {"view", "approve", "return", "export"})
register_permissions("subject_teacher", LEAVE, {"view"})
register_permissions("grade_leader", LEAVE, {"view", "approve_grade", "export"})
# ``approve`` (the first step) only counts for the school admin while the class has no 班主任 (see can_decide)
register_permissions("school_admin", LEAVE, {"view", "approve", "approve_grade", "export"})

register_permissions("head_teacher", SHEET, {"view", "add", "change", "export"})
register_permissions("head_teacher", MARK, {"view", "add", "change", "export"})
register_permissions("subject_teacher", SHEET, {"view"})
register_permissions("subject_teacher", MARK, {"view"})
for role in ("grade_leader", "school_admin"):
    register_permissions(role, SHEET, {"view", "export"})
    register_permissions(role, MARK, {"view", "export"})
register_permissions("district_admin", SHEET, {"view", "export"})
for role in ("guardian", "student"):
    register_permissions(role, MARK, {"view"})
