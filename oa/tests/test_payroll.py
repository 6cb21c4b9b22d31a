"""工资签单: upload validation (row/column errors, nothing written), approval → release, privacy, 签收/疑问."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from core.testing import login
from oa import services
from oa.models import PayrollBatch, Payslip, SlipStatus
from oa.testing import payroll_xlsx

pytestmark = pytest.mark.django_db
MONTH = dt.date(2026, 10, 1)


def _upload(w, rows, actor=None, header=None, month=MONTH):
    return services.payroll_upload(
        actor=actor or w.school_admin_a,
        school=w.school_a,
        month=month,
        data=payroll_xlsx(rows, header),
        filename="工资.xlsx",
    )


def _no(w, person):
    return person.staff_posts.get(school=w.school_a).staff_no


def test_upload_writes_one_slip_per_row_and_releases(oaw):
    batch = _upload(
        oaw,
        [
            [_no(oaw, oaw.math_a), "陈老师", 3200, 1800, 2500, 310.5, 7189.5],
            ["", "王班主任", "3,400", 2000, 2800, 420, 7780],  # no 工号: matched by the unique name
        ],
    )
    assert batch.title == "2026年10月工资签单"
    assert batch.columns == ["岗位工资", "薪级工资", "绩效工资", "代扣个税", "实发工资"]
    # the uploader is the principal, the only approver: the step is skipped and the slips are released
    assert batch.status == "released"
    slips = {s.name: s for s in batch.slips.all()}
    assert str(slips["陈老师"].net) == "7189.50"
    assert dict(slips["王班主任"].items)["岗位工资"] == 3400
    # amounts are encrypted at rest
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT amounts FROM oa_payslip")
        raw = [r[0] for r in cur.fetchall()]
    assert all("7189" not in r and "岗位工资" not in r for r in raw)


def test_row_errors_name_row_and_column_and_write_nothing(oaw):
    with pytest.raises(ValidationError) as exc:
        _upload(
            oaw,
            [
                [_no(oaw, oaw.math_a), "陈老师", 3200, 1800, "两千五", 0, 7000],
                ["T999", "查无此人", 1, 1, 1, 1, 1],
                [_no(oaw, oaw.head_a1), "王小二", 1, 1, 1, 1, 1],
                ["", "刘老师", 1, 1, 1, 1, 1],  # school B's teacher
                [_no(oaw, oaw.math_a), "陈老师", 1, 1, 1, 1, 1],
            ],
        )
    errors = exc.value.message_dict["file"]
    assert errors == [
        "第 2 行「绩效工资」列（E 列）：「两千五」不是金额。",
        "第 3 行「工号」列（A 列）：本校没有工号为「T999」的教职工。",
        f"第 4 行「姓名」列（B 列）：工号 {_no(oaw, oaw.head_a1)} 对应的教职工是「王班主任」，与表中姓名「王小二」不一致。",
        "第 5 行「姓名」列（B 列）：本校没有名为「刘老师」的在岗教职工。",
        "第 6 行：陈老师 与第 2 行重复。",
    ]
    assert not PayrollBatch.objects.exists() and not Payslip.objects.exists()


def test_bad_files_are_refused_in_chinese(oaw):
    with pytest.raises(ValidationError) as exc:
        services.payroll_upload(
            actor=oaw.school_admin_a, school=oaw.school_a, month=MONTH, data=b"not excel", filename="x.xlsx"
        )
    assert "不是 Excel 文件" in exc.value.message_dict["file"][0]
    with pytest.raises(ValidationError) as exc:
        _upload(oaw, [["陈老师", 1]], header=["名字", "金额"])
    assert "表头" in exc.value.message_dict["file"][0]
    assert not PayrollBatch.objects.exists()


def test_same_month_twice_and_wrong_uploader(oaw):
    row = [[_no(oaw, oaw.math_a), "陈老师", 1, 1, 1, 1, 1]]
    _upload(oaw, row)
    with pytest.raises(ValidationError):
        _upload(oaw, row)
    with pytest.raises(PermissionDenied):
        _upload(oaw, row, actor=oaw.teacher_a, month=dt.date(2026, 9, 1))
    with pytest.raises(PermissionDenied):
        _upload(oaw, row, actor=oaw.school_admin_b, month=dt.date(2026, 9, 1))


def test_chain_approval_holds_slips_until_approved(oaw):
    from oa.models import ApprovalChain

    services.chain_defaults_ensure(school=oaw.school_a)
    chain = ApprovalChain.objects.get(school=oaw.school_a, request_type="payroll")
    services.chain_step_add(actor=oaw.school_admin_a, chain=chain, approver_kind="post", post="vice_principal")
    batch = _upload(oaw, [[_no(oaw, oaw.math_a), "陈老师", 1, 1, 1, 1, 1]])
    assert batch.status == "approving"
    from oa.selectors import own_payslips

    assert not own_payslips(oaw.teacher_a).exists()
    # the approver sees the month's totals, not anyone's pay
    c = Client()
    login(c, oaw.vice_user)
    page = c.get(f"/oa/requests/{batch.request_id}/").content.decode()
    assert "各项合计" in page and "1 人" in page
    assert c.get(f"/oa/payroll/{batch.pk}/").status_code == 404
    services.request_act(actor=oaw.vice_user, request=batch.request, decision="approve")
    batch.refresh_from_db()
    assert batch.status == "released"
    assert own_payslips(oaw.teacher_a).count() == 1


def test_each_person_sees_and_signs_only_their_own(oaw):
    batch = _upload(
        oaw,
        [
            [_no(oaw, oaw.math_a), "陈老师", 3200, 1800, 2500, 310.5, 7189.5],
            [_no(oaw, oaw.head_a1), "王班主任", 3400, 2000, 2800, 420, 7780],
        ],
    )
    mine = batch.slips.get(person=oaw.math_a)
    other = batch.slips.get(person=oaw.head_a1)
    c = Client()
    login(c, oaw.teacher_a)
    page = c.get(f"/oa/payslips/{mine.pk}/").content.decode()
    assert "7,189.50" in page and "7,780.00" not in page
    assert c.get(f"/oa/payslips/{other.pk}/").status_code == 404
    assert c.post(f"/oa/payslips/{other.pk}/confirm/").status_code == 404
    with pytest.raises(PermissionDenied):
        services.payslip_confirm(actor=oaw.teacher_a, slip=other)
    c.post(f"/oa/payslips/{mine.pk}/question/", {"question": "代扣个税比上月多"})
    mine.refresh_from_db()
    assert mine.status == SlipStatus.QUESTIONED and mine.question == "代扣个税比上月多"
    # the admin sees who has not signed and answers
    admin = Client()
    login(admin, oaw.school_admin_a)
    page = admin.get(f"/oa/payroll/{batch.pk}/").content.decode()
    assert "代扣个税比上月多" in page and "未签收 1" in page and "有疑问 1" in page
    admin.post(f"/oa/payslips/{mine.pk}/reply/", {"reply": "10 月补扣了 9 月个税"})
    c.post(f"/oa/payslips/{mine.pk}/confirm/")
    mine.refresh_from_db()
    assert mine.status == SlipStatus.CONFIRMED and mine.reply == "10 月补扣了 9 月个税"
    # another school's admin sees neither the batch nor the slips
    other_admin = Client()
    login(other_admin, oaw.school_admin_b)
    assert other_admin.get(f"/oa/payroll/{batch.pk}/").status_code == 404
    assert other_admin.get(f"/oa/payslips/{mine.pk}/").status_code == 404


def test_upload_page_shows_all_row_errors(oaw):
    c = Client()
    login(c, oaw.school_admin_a)
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = payroll_xlsx([[_no(oaw, oaw.math_a), "陈老师", "abc", 1, 1, 1, 1], ["T999", "某某", 1, 1, 1, 1, 1]])
    r = c.post(
        "/oa/payroll/upload/",
        {"school": oaw.school_a.pk, "month": "2026-10", "file": SimpleUploadedFile("工资.xlsx", data)},
    )
    page = r.content.decode()
    assert r.status_code == 200
    assert "工资表有 2 处错误，未导入任何数据" in page
    assert "第 2 行「岗位工资」列（C 列）：「abc」不是金额。" in page
    assert not PayrollBatch.objects.exists()
    data = payroll_xlsx([[_no(oaw, oaw.math_a), "陈老师", 1, 1, 1, 1, 1]])
    r = c.post(
        "/oa/payroll/upload/",
        {"school": oaw.school_a.pk, "month": "2026-10", "file": SimpleUploadedFile("工资.xlsx", data)},
    )
    assert r.status_code == 302
    assert PayrollBatch.objects.get().slips.count() == 1


def test_template_has_the_staff_and_round_trips(oaw):
    import io

    from openpyxl import load_workbook

    c = Client()
    login(c, oaw.school_admin_a)
    r = c.get("/oa/payroll/template/")
    assert r["Content-Disposition"].startswith("attachment")
    wb = load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("工号", "姓名", "岗位工资")
    names = {row[1] for row in rows[1:]}
    assert {"陈老师", "王班主任", "钱主任"} <= names and "刘老师" not in names  # school B's teacher
    # fill two amounts in and upload it back
    ws = wb.active
    for row in ws.iter_rows(min_row=2):
        row[2].value, row[8].value = 3000, 2800
    buf = io.BytesIO()
    wb.save(buf)
    batch = services.payroll_upload(
        actor=oaw.school_admin_a, school=oaw.school_a, month=MONTH, data=buf.getvalue(), filename="模板.xlsx"
    )
    assert batch.slips.count() == len(names)
    export = c.get(f"/oa/payroll/{batch.pk}/export/")
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    exported = list(sheet.iter_rows(values_only=True))
    assert exported[0] == ("行号", "工号", "姓名", "状态", "签收时间", "疑问", "答复")
    assert {r[3] for r in exported[1:]} == {"待签收"}
    assert all("3000" not in str(v) for r in exported for v in r)  # no amounts in the export
