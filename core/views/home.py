from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render
from django.utils.translation import gettext as _

from ..models import Class, School, StaffPost, Student, TeachingAssignment, role_label
from ..scope import grants_for
from ..selectors.org import classes_taught_load


@login_required
def home_view(request):
    """Role-aware home: each block appears only for the roles that need it."""
    user = request.user
    roles = {g.role for g in grants_for(user)}
    ctx = {"title": _("首页"), "role_names": sorted({role_label(r) for r in roles}), "roles": roles}
    if roles & {"district_admin", "school_admin", "grade_leader"}:
        schools = (
            School.objects.visible_to(user)
            .filter(archived_at__isnull=True)
            .annotate(n=Count("students", filter=Q(students__status="enrolled")))
            .order_by("code")
        )
        ctx["overview"] = {
            "schools": len(schools),
            "classes": Class.objects.visible_to(user).filter(archived_at__isnull=True).count(),
            "students": Student.objects.visible_to(user).filter(status="enrolled").count(),
            "staff": StaffPost.objects.visible_to(user)
            .filter(archived_at__isnull=True)
            .values("person_id")
            .distinct()
            .count(),
        }
        ctx["chart"] = {
            "name": _("在读学生"),
            "labels": [s.short_name or s.name for s in schools],
            "values": [s.n for s in schools],
        }
    if roles & {"head_teacher", "subject_teacher", "staff"}:
        ctx.update(classes_taught_load(user=user))
        ctx["periods"] = sum(t.periods_per_week for t in ctx["teaching"])
    if "guardian" in roles:
        ctx["children"] = (
            Student.objects.visible_to(user)
            .filter(guardianships__guardian_id=user.person_id)
            .select_related("person", "school", "klass__grade", "klass__head_teacher")
            .distinct()
        )
    if "student" in roles:
        me = (
            Student.objects.visible_to(user)
            .filter(person_id=user.person_id)
            .select_related("school", "klass__grade", "klass__head_teacher")
            .first()
        )
        ctx["me"] = me
        if me:
            ctx["my_teachers"] = (
                TeachingAssignment.objects.visible_to(user)
                .filter(klass_id=me.klass_id, term__is_current=True)
                .select_related("teacher", "subject")
                .order_by("subject__sort_order")
            )
    if "auditor" in roles:
        from ..models import AuditLog

        ctx["recent_denied"] = AuditLog.objects.visible_to(user).filter(result="denied").order_by("-id")[:10]
    return render(request, "core/home.html", ctx)
