"""花名册 PDF of one class (A4, WeasyPrint, Noto Sans CJK SC)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from core.audit import audit_record
from core.models import Class, Guardianship, Student, StudentStatus
from core.scope import can

from .common import MASKED_NOTE, mask_id_number, mask_phone, must_mask, require_export

TEMPLATE = "roster/print/class_roster.html"
AUDIT_ACTION = "roster.print_roster"


def class_roster_context(user, klass: Class) -> dict:
    """Template context of the 花名册; checks permissions (PermissionDenied) but does not audit."""
    require_export(user)
    # The class must lie inside the user's student-export scope (an unsaved probe student of the class):
    # a teacher may see a colleague's class but not print its roster.
    probe = Student(klass=klass, school_id=klass.school_id, district_id=klass.school.district_id)
    if not can(user, "export", probe):
        raise PermissionDenied("无权打印该班花名册")
    students = Student.objects.visible_to(user, "export").filter(
        klass=klass, status=StudentStatus.ENROLLED, archived_at__isnull=True
    )
    masked = must_mask(user, students)
    guardians = Guardianship.objects.visible_to(user, "view").select_related("guardian")
    guardians = guardians.order_by("-is_primary_contact", "id")
    rows = []
    for s in students.select_related("person").prefetch_related(Prefetch("guardianships", queryset=guardians)):
        person = s.person
        rows.append(
            {
                "class_no": s.class_no if s.class_no is not None else "",
                "name": person.name,
                "gender": person.get_gender_display() if person.gender in ("1", "2") else "",
                "birth_date": person.birth_date.strftime("%Y-%m-%d") if person.birth_date else "",
                "id_number": mask_id_number(person.id_number) if masked else person.id_number,
                "guardians": [
                    {
                        "name": g.guardian.name,
                        "relation": g.get_relation_display(),
                        "phone": mask_phone(g.guardian.phone),
                    }
                    for g in s.guardianships.all()
                ],
            }
        )
    school = klass.school
    return {
        "school": school,
        "klass": klass,
        "title": f"{school.name} {klass.name} 学生花名册",
        "head_teacher": klass.head_teacher.name if klass.head_teacher_id else "",
        "rows": rows,
        "masked": masked,
        "masked_note": MASKED_NOTE,
        "printed_on": timezone.localdate(),
    }


def roster_pdf(user, klass: Class) -> bytes:
    """PDF bytes of the class 花名册. 身份证号 masked unless the user may reveal every student; parents'
    phones always masked. Raises PermissionDenied for users who cannot export students or see the class.
    One audit row per print."""
    from weasyprint import HTML

    klass = Class.objects.select_related("school", "grade", "head_teacher").get(pk=klass.pk)
    context = class_roster_context(user, klass)
    html = render_to_string(TEMPLATE, context)
    pdf = HTML(string=html).write_pdf()
    audit_record(
        actor=user,
        action=AUDIT_ACTION,
        obj=klass,
        object_repr=f"{context['title']}（{len(context['rows'])} 人）",
        changes={"rows": len(context["rows"]), "masked": context["masked"]},
    )
    return pdf
