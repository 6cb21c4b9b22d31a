"""Who may do what with timetables. The school's 教务 (school_admin) sets up, solves, adjusts and publishes its
school's timetables and approves 调课/代课; the district admin reads them. Teachers see the timetables of the
classes they teach or lead (and their own lessons) and request 调课/代课 for their lessons; students and parents
see their class's published timetable. Any staff member of the school sees the school's 调课/代课 list (a
substitute must see the lesson they take over)."""

from core.scope import register_permissions

SETUP = [
    "timetable.weeksetup",
    "timetable.room",
    "timetable.courseplan",
    "timetable.teacherrule",
    "timetable.classrule",
    "timetable.combinedlesson",
    "timetable.electiveblock",
    "timetable.teachinggroup",
]
FULL = {"view", "add", "change", "archive", "export"}

for label in SETUP:
    register_permissions("school_admin", label, FULL)
    register_permissions("district_admin", label, {"view"})
register_permissions("school_admin", "timetable.timetable", FULL | {"publish"})
register_permissions("school_admin", "timetable.timetableentry", {"view", "change", "export"})
register_permissions("school_admin", "timetable.substitution", {"view", "add", "change", "approve", "export"})
for label in ["timetable.timetable", "timetable.timetableentry", "timetable.substitution"]:
    register_permissions("district_admin", label, {"view", "export"})

# published versions are found through the school; their lessons through the class
for role in ("staff", "head_teacher", "subject_teacher", "grade_leader", "guardian", "student"):
    register_permissions(role, "timetable.timetable", {"view"})
for role in ("head_teacher", "subject_teacher", "grade_leader", "guardian", "student"):
    register_permissions(role, "timetable.timetableentry", {"view", "export"})
for role in ("head_teacher", "subject_teacher"):
    register_permissions(role, "timetable.substitution", {"view", "add"})
for role in ("staff", "grade_leader", "guardian", "student"):
    register_permissions(role, "timetable.substitution", {"view"})
