"""OA sample data on top of ``core.testing.build_world()`` for the scope matrix, the API cases and the tests.

``oa_world(w)`` (cached on ``w``) adds to school A an 教务主任 (``w.director_user``, 钱主任) and a 副校长
(``w.vice_user``, 孙副校长), gives school A's staff 工号 T001…, and creates:

* ``leave``: 陈老师's 4-day 病假 with an attachment, approved by the 教务主任 and now waiting for the principal
  (张校长, ``school_admin_a``) as it exceeds 3 days;
* ``returned``: 陈老师's purchase returned for changes by the 副校长;
* ``batch``: school A's payslips of last month (陈老师 and 王班主任), released (the principal uploaded it and is
  also the only approver, so the step is skipped);
* ``doc``: a 收文 of school A routed to 陈老师, with an attachment;
* ``delegation``: 王班主任's future away period with 陈老师 as delegate.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

SAMPLE_ATTACHMENT = "oa/samples/scope-sample-encrypted.bin"


def next_monday(today: dt.date | None = None) -> dt.date:
    today = today or dt.date.today()
    return today + dt.timedelta(days=7 - today.weekday())


def payroll_xlsx(rows: list[list], header: list | None = None) -> bytes:
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(header or ["工号", "姓名", "岗位工资", "薪级工资", "绩效工资", "代扣个税", "实发工资"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sample_file() -> str:
    """One small encrypted file, rewritten for every world (the test key is new in every test session), so
    the scope matrix does not leave a file per test behind."""
    from core.crypto import encrypt_bytes

    if default_storage.exists(SAMPLE_ATTACHMENT):
        default_storage.delete(SAMPLE_ATTACHMENT)
    return default_storage.save(SAMPLE_ATTACHMENT, ContentFile(encrypt_bytes("请假证明（样例）".encode())))


def add_leaders(w) -> None:
    """The 教务主任 and 副校长 of school A (the default chains need them)."""
    if getattr(w, "director_user", None) is not None:
        return
    from core.models import StaffPost
    from core.testing import make_person, make_user

    for attr, name, post, username in [
        ("director", "钱主任", "academic_director", "director_a"),
        ("vice", "孙副校长", "vice_principal", "vice_a"),
    ]:
        p = make_person(name, born=dt.date(1978, 6, 1))
        StaffPost.objects.create(person=p, school=w.school_a, post=post)
        setattr(w, attr, p)
        setattr(w, f"{attr}_user", make_user(p, username))
    for n, sp in enumerate(StaffPost.objects.filter(school=w.school_a).order_by("pk"), start=1):
        sp.staff_no = f"T{n:03d}"
        sp.save(update_fields=["staff_no"])
    for n, sp in enumerate(StaffPost.objects.filter(school=w.school_b).order_by("pk"), start=1):
        sp.staff_no = f"B{n:03d}"
        sp.save(update_fields=["staff_no"])


def oa_world(w) -> SimpleNamespace:
    cached = getattr(w, "oa", None)
    if cached is not None:
        return cached
    from core.models import StaffPost

    from . import services
    from .models import Delegation, DocumentRouting

    add_leaders(w)
    o = SimpleNamespace()
    monday = next_monday()
    o.leave = services.request_submit(
        actor=w.teacher_a,
        school=w.school_a,
        request_type="leave",
        reason="参加市级教研活动后身体不适，需休息",
        start_date=monday,
        end_date=monday + dt.timedelta(days=3),
        details={"leave_type": "sick", "substitute": "数学课由王班主任代上"},
    )
    services.request_act(actor=w.director_user, request=o.leave, decision="approve", comment="同意")
    o.leave.attachment.name = _sample_file()
    o.leave.attachment_name = "病历.txt"
    o.leave.save(update_fields=["attachment", "attachment_name"])
    o.returned = services.request_submit(
        actor=w.teacher_a,
        school=w.school_a,
        request_type="purchase",
        reason="数学组教具",
        details={"items": [{"name": "几何画板教具", "quantity": "2", "unit_price": "150"}], "budget_line": "教学耗材"},
    )
    services.request_act(actor=w.vice_user, request=o.returned, decision="return", comment="请补充规格型号")

    last_month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    nos = {sp.person_id: sp.staff_no for sp in StaffPost.objects.filter(school=w.school_a)}
    data = payroll_xlsx(
        [
            [nos[w.math_a.pk], "陈老师", 3200, 1800, 2500, 310.5, 7189.5],
            [nos[w.head_a1.pk], "王班主任", 3400, 2000, 2800, 420, 7780],
        ]
    )
    o.batch = services.payroll_upload(
        actor=w.school_admin_a, school=w.school_a, month=last_month, data=data, filename="工资.xlsx"
    )
    o.slip_teacher = o.batch.slips.get(person=w.math_a)

    o.doc = services.document_register(
        actor=w.school_admin_a,
        school=w.school_a,
        number="甬教办〔2026〕12号",
        title="关于做好冬季校园安全工作的通知",
        source_unit="宁波市教育局办公室",
        body="各学校要落实冬季安全检查……",
    )
    o.doc.attachment.name = _sample_file()
    o.doc.attachment_name = "安全检查表.txt"
    o.doc.save(update_fields=["attachment", "attachment_name"])
    services.document_route(
        actor=w.school_admin_a, document=o.doc, users=[w.teacher_a], instruction="请数学组阅知并落实"
    )
    o.routing = DocumentRouting.objects.get(document=o.doc, user=w.teacher_a)
    o.delegation = Delegation.objects.create(
        user=w.head_teacher_a1,
        delegate=w.teacher_a,
        starts_on=monday + dt.timedelta(days=30),
        ends_on=monday + dt.timedelta(days=32),
        note="外出培训",
    )
    from .models import ApprovalChain

    o.leave_chain = ApprovalChain.objects.get(school=w.school_a, request_type="leave")
    o.leave_chain_step = o.leave_chain.steps.order_by("order").first()
    w.oa = o
    return o
