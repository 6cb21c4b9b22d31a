from django import template

register = template.Library()


@register.simple_tag
def oa_is_admin(user) -> bool:
    """Whether the OA admin tabs (审批流程, 工资签单) apply to ``user``."""
    from ..views.common import admin_school_ids

    return bool(admin_school_ids(user))


@register.filter
def money(value) -> str:
    """7189.5 → 7,189.50 (金额 with thousands separators, whatever the locale's grouping)."""
    from decimal import Decimal, InvalidOperation

    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


@register.simple_tag
def oa_is_staff(user) -> bool:
    """Whether ``user`` holds a post (has payslips, may delegate and file requests)."""
    from ..services import staff_schools

    return staff_schools(user).exists()
