"""学籍 exports: MoE 学籍 spreadsheet, class 花名册 PDF, OneRoster 1.2 CSV.

Every export starts from ``visible_to(user, "export")``, raises PermissionDenied for users with no student
export grant at all, masks personal data unless the user may ``reveal`` it, and writes one audit row.
"""

from .moe import moe_headers, moe_roster_rows, moe_roster_workbook
from .oneroster import oneroster_zip
from .pdf import roster_pdf

__all__ = ["moe_headers", "moe_roster_rows", "moe_roster_workbook", "oneroster_zip", "roster_pdf"]
