"""Menu entries of 行政办公 (registered in OaConfig.ready): 审批 and 公文 for staff and OA admins, 工资条 for
staff, 工资签单管理 and 审批流程 for school admins. Parents and students see none of them."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from core.menu import MenuItem, register

GROUP = _("行政办公")


def _oa_user(user) -> bool:
    from .views.common import require_oa_user

    try:
        require_oa_user(user)
    except PermissionDenied:
        return False
    return True


def _staff(user) -> bool:
    from .services import staff_schools

    return user.is_authenticated and staff_schools(user).exists()


def _school_admin(user) -> bool:
    from .views.common import admin_school_ids

    return bool(admin_school_ids(user))


register(MenuItem("oa_approvals", _("审批"), "oa:inbox", "check2-square", _oa_user, GROUP, 80))
register(MenuItem("oa_docs", _("公文"), "oa:doc_list", "file-earmark-text", _oa_user, GROUP, 81))
register(MenuItem("oa_payslips", _("我的工资条"), "oa:payslip_list", "wallet2", _staff, GROUP, 82))
register(MenuItem("oa_payroll", _("工资签单管理"), "oa:payroll_list", "cash-stack", _school_admin, GROUP, 83))
register(MenuItem("oa_chains", _("审批流程设置"), "oa:chain_list", "diagram-3", _school_admin, GROUP, 84))
