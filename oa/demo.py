"""Demo data of 行政办公 (a seed_demo hook registered in OaConfig.ready).

* default approval chains for every school of the demo district;
* in the demo school (蛟川书院): requests in every state — a 4-day leave of the demo 班主任 that the 教务主任 has
  approved and that waits for the principal (the ``school_admin`` login approves it), a 5-day leave that
  passed both steps, a 12,800 元 purchase waiting for the principal (over the 5,000 元 threshold), a trip
  approved by the 教务主任 on behalf of the away 副校长, a rejected, a returned and a withdrawn request;
* last month's payslips of the demo school, released, most signed, one with a question;
* a district 发文 to every school (received as 收文 and routed in the demo school with 批示, partly read and
  handled) and a school 发文 to its staff.
"""

from __future__ import annotations

import datetime as dt
import random
import time


def _demo_school(district):
    from core.demo.generate import demo_school_and_class

    return demo_school_and_class(district)[0]


def _holder(school, post):
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(
            person__staff_posts__school=school, person__staff_posts__post=post, person__staff_posts__archived_at=None
        )
        .order_by("pk")
        .first()
    )


def oa_demo_seed(*, district, seed: int, out, batch_size: int = 2000) -> None:
    from django.contrib.auth import get_user_model

    from core.models import Class, RoleGrant, School, StaffPost

    from . import services
    from .models import Delegation
    from .testing import payroll_xlsx

    started = time.monotonic()
    rng = random.Random(seed + 7)
    User = get_user_model()
    schools = list(School.objects.filter(district=district).order_by("pk"))
    for s in schools:
        services.chain_defaults_ensure(school=s)
    school = _demo_school(district)
    if school is None:
        return
    principal = _holder(school, "principal")
    director = _holder(school, "academic_director")
    vice = _holder(school, "vice_principal")
    if not (principal and director and vice):
        out("行政办公演示数据：演示学校缺少校长/副校长/教务主任，只创建了审批流程")
        return
    leaders = {principal.pk, director.pk, vice.pk}
    teachers = list(
        User.objects.filter(
            person__staff_posts__school=school,
            person__staff_posts__post="teacher",
            person__staff_posts__archived_at=None,
        )
        .exclude(pk__in=leaders)
        .select_related("person")
        .order_by("pk")
        .distinct()[:40]
    )
    # the demo 班主任 (the head teacher of the first class of the school's upper stage, as core.demo picks it)
    stage = school.stages[-1] if school.stages else None
    demo_class = Class.objects.filter(school=school, grade__stage=stage).order_by("pk").first()
    head = User.objects.filter(person_id=demo_class.head_teacher_id).first() if demo_class else None
    others = [t for t in teachers if head is None or t.pk != head.pk]
    rng.shuffle(others)
    applicants = iter(others)
    head = head or next(applicants)

    today = dt.date.today()
    monday = today + dt.timedelta(days=7 - today.weekday())

    def leave(user, start, days_span, kind, reason, substitute=""):
        return services.request_submit(
            actor=user,
            school=school,
            request_type="leave",
            reason=reason,
            start_date=start,
            end_date=start + dt.timedelta(days=days_span),
            details={"leave_type": kind, "substitute": substitute},
        )

    # 4 working days: 教务主任 approved, waits for the principal (the school_admin login)
    r = leave(head, monday, 3, "personal", "家中老人住院手术，需陪护", "语文课由同年级组老师代上，班级由副班主任负责")
    services.request_act(actor=director, request=r, decision="approve", comment="同意，请安排好代课。")
    # 5 days, both steps done
    r = leave(next(applicants), monday - dt.timedelta(days=14), 4, "marriage", "婚假", "课务已由教研组统一调整")
    services.request_act(actor=director, request=r, decision="approve", comment="同意")
    services.request_act(actor=principal, request=r, decision="approve", comment="祝新婚快乐！")
    # short leaves: approved / rejected / returned / withdrawn
    r = leave(next(applicants), monday + dt.timedelta(days=1), 0, "sick", "牙科复诊", "第3节课与同组老师调课")
    services.request_act(actor=director, request=r, decision="approve")
    r = leave(next(applicants), monday + dt.timedelta(days=2), 1, "personal", "处理私事")
    services.request_act(
        actor=director, request=r, decision="reject", comment="期中考试期间原则上不批事假，请调整时间。"
    )
    r = leave(next(applicants), monday + dt.timedelta(days=7), 1, "official", "参加区骨干教师培训")
    services.request_act(actor=director, request=r, decision="return", comment="请附上培训通知。")
    r = leave(next(applicants), monday + dt.timedelta(days=3), 0, "personal", "孩子家长会")
    services.request_withdraw(actor=r.applicant, request=r)
    # purchases: over the threshold waits for the principal; a small one approved
    items = [
        {"name": "交互式智能黑板（86 英寸）", "quantity": "1", "unit_price": "11800"},
        {"name": "无线投屏器", "quantity": "2", "unit_price": "500"},
    ]
    r = services.request_submit(
        actor=next(applicants),
        school=school,
        request_type="purchase",
        reason="七年级录播教室设备更新",
        details={"items": items, "budget_line": "教学设备购置费"},
    )
    services.request_act(actor=vice, request=r, decision="approve", comment="确有需要，同意。")
    r = services.request_submit(
        actor=next(applicants),
        school=school,
        request_type="purchase",
        reason="实验室耗材补充",
        details={
            "items": [
                {"name": "烧杯 250ml", "quantity": "40", "unit_price": "6.5"},
                {"name": "酒精灯", "quantity": "20", "unit_price": "18"},
            ],
            "budget_line": "教学耗材",
        },
    )
    services.request_act(actor=vice, request=r, decision="approve")
    # the 副校长 is away this week: the 教务主任 approves the trip on their behalf
    Delegation.objects.create(
        user=vice, delegate=director, starts_on=today, ends_on=today + dt.timedelta(days=4), note="赴杭州参加校长培训"
    )
    r = services.request_submit(
        actor=next(applicants),
        school=school,
        request_type="trip",
        reason="带队参加宁波市中小学生科技节",
        start_date=monday + dt.timedelta(days=10),
        end_date=monday + dt.timedelta(days=11),
        details={"destination": "宁波市鄞州区", "estimated_cost": "1600"},
    )
    services.request_act(actor=director, request=r, decision="approve", comment="注意学生安全。")

    # payslips of last month
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    posts = list(
        StaffPost.objects.filter(school=school, archived_at=None, is_primary=True)
        .exclude(staff_no="")
        .select_related("person")
        .order_by("staff_no")
    )
    seen, rows = set(), []
    for sp in posts:
        if sp.person_id in seen:
            continue
        seen.add(sp.person_id)
        base = rng.choice([2930, 3180, 3460, 3810, 4320])
        scale = rng.choice([1360, 1620, 1985, 2370])
        merit = rng.randint(20, 45) * 100
        gross = base + scale + merit
        tax = round(max(0, gross - 5000) * 0.03, 2)
        fund = round(gross * 0.12, 2)
        rows.append([sp.staff_no, sp.person.name, base, scale, merit, fund, tax, round(gross - fund - tax, 2)])
    header = ["工号", "姓名", "岗位工资", "薪级工资", "绩效工资", "住房公积金", "代扣个税", "实发工资"]
    batch = services.payroll_upload(
        actor=principal, school=school, month=last_month, data=payroll_xlsx(rows, header), filename="工资表.xlsx"
    )
    slips = list(batch.slips.all())
    users = {u.person_id: u for u in User.objects.filter(person_id__in=[s.person_id for s in slips])}
    for n, slip in enumerate(slips):
        user = users.get(slip.person_id)
        if user is None:
            continue
        if n == 3:
            services.payslip_question(actor=user, slip=slip, text="本月绩效工资比上月少了 300 元，请核实。")
        elif rng.random() < 0.65:
            services.payslip_confirm(actor=user, slip=slip)

    # 公文
    grant = RoleGrant.objects.filter(district=district, role="district_admin").select_related("user").first()
    if grant is not None:
        doc = services.document_issue(
            actor=grant.user,
            district=district,
            number="镇教〔2026〕35号",
            title="关于开展2026年冬季校园安全大检查的通知",
            body=(
                "各中小学、幼儿园：\n为切实做好冬季校园安全工作，经研究，决定在全区开展冬季校园安全大检查。"
                "请各校对照检查清单开展自查，于12月15日前将自查报告报送区教育局安全科。"
            ),
            urgency="urgent",
            to_schools=schools,
        )
        copy = doc.copies.get(school=school)
        readers = [director, vice, head]
        services.document_route(
            actor=principal,
            document=copy,
            users=readers,
            instruction="请教务处、总务处牵头落实，各班主任做好学生安全教育。",
            needs_action=True,
        )
        for routing in copy.routings.all():
            if routing.user_id == director.pk:
                services.routing_mark(actor=director, routing=routing, status="done", note="已完成教学楼消防设施自查。")
            elif routing.user_id == vice.pk:
                services.routing_mark(actor=vice, routing=routing, status="read")
    services.document_issue(
        actor=principal,
        district=district,
        school=school,
        number=f"{school.short_name or '校'}〔2026〕8号",
        title="关于调整冬季作息时间的通知",
        body="自12月1日起，上午第一节课8:10开始，下午放学时间提前至16:30。",
        to_users=[director, vice, head, *teachers[:10]],
        instruction="请各位老师知悉。",
    )
    out(
        f"行政办公演示数据：{len(schools)} 所学校的默认审批流程，演示学校的申请、工资签单和公文，用时 {time.monotonic() - started:.1f} 秒"
    )
