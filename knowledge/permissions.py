"""Who may see and edit the knowledge-point tree.

The tree is the district's shared teaching vocabulary: every staff member and student of the district browses
it (teachers tag resources and items with it, students meet it in homework and mastery pages); the district's
admins and 教研员 (researcher) edit it. School admins and grade leaders only view. Parents get no grant on the tree
itself: they meet knowledge points only as labels on their child's homework and mastery pages, which those
modules scope to the child.
"""

from core.scope import register_permissions

MODELS = ["knowledge.textbookedition", "knowledge.knowledgenode"]
EDIT = {"view", "add", "change", "archive", "export"}

for role in ("district_admin", "researcher"):
    for label in MODELS:
        register_permissions(role, label, EDIT)
# the researcher picks the district's subjects in the tree's forms
register_permissions("researcher", "core.subject", {"view"})
for role in ("school_admin", "grade_leader", "auditor", "staff", "head_teacher", "subject_teacher", "student"):
    for label in MODELS:
        register_permissions(role, label, {"view"})
for role in ("school_admin", "grade_leader", "staff"):
    for label in MODELS:
        register_permissions(role, label, {"export"})
