"""Who may do what with exams. ``publish`` is the exam owner's step (district for a 联考, the school for a 单校考试);
score entry (``change`` on scores) is for the school and the class's subject teachers; parents and students only
``view`` their own results (and rankings only as the district's ``RankingPolicy`` allows)."""

from core.scope import register_permissions

EXAM_MODELS = ["exams.exam", "exams.examschool", "exams.examsubject", "exams.examitem", "exams.examstudent"]
RESULT_MODELS = ["exams.score", "exams.studentresult", "exams.scorecorrection", "exams.examreport"]
FULL = {"view", "add", "change", "archive", "export", "publish"}

for role in ("district_admin", "researcher"):
    for label in EXAM_MODELS + RESULT_MODELS + ["exams.rankingpolicy"]:
        register_permissions(role, label, FULL)
register_permissions("auditor", "exams.exam", {"view"})
# A school admin runs its own 单校考试 (checked on ExamSchool, which carries the school) and enters its
# students' scores in a 联考; the ``Exam`` row itself (district level) is only viewed: creating, changing and
# publishing a 联考 is the district's.
# Models scoped only to the district (Exam, ExamSubject, ExamItem, ExamReport) are view-only for school roles.
for label in ["exams.exam", "exams.examsubject", "exams.examitem", "exams.examreport"]:
    register_permissions("school_admin", label, {"view", "export"})
for label in ["exams.examschool", "exams.examstudent", "exams.score", "exams.studentresult", "exams.scorecorrection"]:
    register_permissions("school_admin", label, FULL)
for label in EXAM_MODELS + RESULT_MODELS:
    register_permissions("grade_leader", label, {"view", "export"})
    register_permissions("head_teacher", label, {"view", "export"})
    register_permissions("subject_teacher", label, {"view", "export"})
register_permissions("subject_teacher", "exams.score", {"view", "change", "export"})
for role in ("guardian", "student"):
    for label in ["exams.examstudent", "exams.score", "exams.studentresult"]:
        register_permissions(role, label, {"view"})
# the researcher reads the org tree and the students of the district (to analyse results)
for label in ["core.school", "core.grade", "core.class", "core.student", "core.teachingassignment"]:
    register_permissions("researcher", label, {"view"})
