"""Demo data of the notices module (a seed_demo hook registered in NoticesConfig.ready).

Adds to the demo district:

* a pinned district notice to the staff of every school (冬季校园安全), mostly read;
* a notice of the demo school to all its parents (寒假安排), about two thirds read;
* a class notice of the demo class's 班主任 to its parents with a choice 回执 (秋季研学活动意见征询): some
  parents have read and signed, the demo parent has not — so the demo shows the unread list and the reminder;
* a scheduled class notice (期末家长会) that parents will see tomorrow.
"""

from __future__ import annotations

import datetime as dt
import random
import time

DISTRICT_BODY = """<p>各中小学：</p>
<p>入冬以来气温下降，为切实做好冬季校园安全工作，现将有关事项通知如下：</p>
<ol><li>开展一次校园安全隐患排查，重点检查用电、消防通道和取暖设施；</li>
<li>加强学生上下学交通安全教育，雨雪天气错峰放学；</li>
<li>落实值班值守制度，遇突发情况及时报告。</li></ol>
<p>请各校于 12 月 5 日前将排查情况报区教育局安全科。</p>"""

SCHOOL_BODY = """<p>各位家长：</p>
<p>根据区教育局校历安排，本学期寒假自 <strong>2027 年 1 月 23 日</strong>起，2 月 20 日学生返校报到。</p>
<p>假期请督促孩子合理安排作息，注意用电、用火和交通安全，不到无安全保障的水域游泳、滑冰。</p>"""

CLASS_BODY = """<p>各位家长：</p>
<p>为丰富学生的课外实践，学校计划于 12 月 12 日（周五）组织本班学生赴宁波博物馆开展研学活动，
当天 8:00 在校门口集合乘车，15:30 返校。费用由学校承担，请为孩子准备午餐和饮用水。</p>
<p>请在下方回执中选择是否同意孩子参加，<strong>12 月 8 日</strong>前提交。</p>"""


def notices_demo_seed(*, district, seed: int, out, batch_size: int = 2000) -> None:
    from django.utils import timezone

    from core.models import RoleGrant, School, StaffPost

    from . import services
    from .models import NoticeRecipient

    started = time.monotonic()
    rng = random.Random(seed * 7919 + 3)
    grant = RoleGrant.objects.filter(district=district, role="district_admin").select_related("user").first()
    schools = list(School.objects.filter(district=district, archived_at__isnull=True).order_by("code"))
    if grant is None or not schools:
        out("通知演示数据：没有区县管理员或学校，跳过")
        return
    from core.demo.generate import demo_school_and_class

    school, klass = demo_school_and_class(district)
    school = school or schools[0]
    school_admin = RoleGrant.objects.filter(role="school_admin", school=school).select_related("user").first()
    head_user = getattr(getattr(klass, "head_teacher", None), "user", None) if klass else None
    now = timezone.now()
    made = []

    def read_some(notice, share, signed_share=0.0, options=None, keep_unread=None):
        rows = list(NoticeRecipient.objects.filter(notice=notice).values_list("pk", "user_id"))
        read_ids, signed = [], []
        for pk, uid in rows:
            if keep_unread is not None and uid in keep_unread:
                continue
            if rng.random() < share:
                read_ids.append(pk)
                if rng.random() < signed_share:
                    signed.append(pk)
        at = now - dt.timedelta(minutes=rng.randint(5, 600))
        NoticeRecipient.objects.filter(pk__in=read_ids).update(read_at=at)
        for pk in signed:
            NoticeRecipient.objects.filter(pk=pk).update(
                receipt_at=at + dt.timedelta(minutes=2),
                receipt_choice=options[0] if rng.random() < 0.85 else options[1],
            )

    def fan(notice):
        services.notice_fanout(notice_id=notice.pk)
        notice.refresh_from_db()
        made.append(notice)
        return notice

    n = fan(
        services.notice_send(
            actor=grant.user,
            level="district",
            node=district,
            title="关于做好冬季校园安全工作的通知",
            body=DISTRICT_BODY,
            audience={"targets": ["staff"]},
            pinned=True,
            publish_at=now - dt.timedelta(minutes=1),
        )
    )
    read_some(n, 0.8)
    if school_admin is not None:
        n = fan(
            services.notice_send(
                actor=school_admin.user,
                level="school",
                node=school,
                title=f"{school.short_name or school.name}关于2026—2027学年寒假放假安排的通知",
                body=SCHOOL_BODY,
                audience={"targets": ["parents"]},
            )
        )
        read_some(n, 0.65)
    if klass is not None and head_user is not None:
        # the demo parent (first child of the class) stays unread, to sign in the demo
        first_child = klass.students.order_by("class_no", "pk").first()
        demo_parents = set()
        if first_child is not None:
            demo_parents = set(first_child.guardianships.values_list("guardian__user__id", flat=True))
        options = ["同意孩子参加", "不参加（请说明原因后联系班主任）"]
        n = fan(
            services.notice_send(
                actor=head_user,
                level="class",
                node=klass,
                title="秋季研学活动家长意见征询",
                body=CLASS_BODY,
                audience={"targets": ["parents"]},
                receipt_kind="choice",
                receipt_prompt="是否同意孩子参加 12 月 12 日的研学活动？",
                receipt_options=options,
                receipt_deadline=now + dt.timedelta(days=5),
            )
        )
        read_some(n, 0.6, 0.7, options, keep_unread=demo_parents)
        fan(
            services.notice_send(
                actor=head_user,
                level="class",
                node=klass,
                title="期末家长会通知",
                body="<p>定于下周六上午 9:00 在本班教室召开期末家长会，请家长准时参加。</p>",
                audience={"targets": ["parents"]},
                publish_at=now + dt.timedelta(days=1),
            )
        )
    staff = StaffPost.objects.filter(school__district=district).count()
    total = sum(m.recipients_total for m in made)
    out(
        f"通知演示数据：{len(made)} 条通知，{total:,} 个接收人（教职工岗位 {staff:,}），用时 {time.monotonic() - started:.1f} 秒"
    )
