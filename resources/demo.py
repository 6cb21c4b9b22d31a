"""Demo data of the resource library (a seed_demo hook registered in ResourcesConfig.ready).

About 60 resources tagged to the demo district's knowledge points (初中数学, 初中语文) at every level — 区级, 校级,
waiting for school or district review, returned, personal and one retired — each with a small real file
(pptx 课件, docx 教案/学习任务单, PDF 试卷 with Chinese text, PNG 素材), review trails, ratings, comments,
downloads spread over the past months, and 学习任务 pushed to the demo school's 七年级 classes.

One teacher of another school gets the demo password as ``teacher2`` so the whole flow (upload in one school,
find and use it in another) can be tried.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time

KIND_TEMPLATES = {
    "courseware": (
        "{ed}{grade}{subject}{vol}《{kp}》优质课件",
        "围绕“{kp}”设计情境导入、例题精讲与分层练习，配套动画演示，适合新授课使用。",
    ),
    "lesson_plan": ("《{kp}》教学设计", "明确“{kp}”的教学目标与重难点，设计师生活动与课堂小结，附板书设计和课后反思。"),
    "guide": ("《{kp}》学习任务单", "学生课前自主学习“{kp}”，完成任务一至任务三，课上交流展示，课后完成达标检测。"),
    "paper": (
        "{kp} 单元达标检测卷（含答案）",
        "覆盖“{kp}”的基础题、提升题与拓展题，附参考答案与评分标准，可用于单元复习。",
    ),
    "material": ("{kp} 课堂素材图", "用于讲解“{kp}”的示意图，可直接插入课件。"),
}
TAGS = ["公开课", "新授课", "复习课", "分层作业", "优质课", "校本", "微专题", "作业设计", "双减"]
COMMENTS = [
    "例题选得很典型，学生容易理解。",
    "分层设计很实用，已在班里用过。",
    "建议补充一道拓展题。",
    "谢谢分享，备课省了不少时间。",
]


def _files(kind: str, title: str, kp: str, desc: str, n: int, pdf_budget: list[int]):
    from .samples import docx_bytes, pdf_bytes, png_bytes, pptx_bytes

    body = [desc, f"一、学习目标：理解{kp}。", f"二、例题：结合生活情境说明{kp}。", "三、课堂练习与小结。"]
    if kind == "courseware":
        return pptx_bytes(title, body), "pptx", "\n".join([title, *body])
    if kind == "paper" and pdf_budget[0] > 0:
        pdf_budget[0] -= 1
        return pdf_bytes(title, body), "pdf", "\n".join([title, *body])
    if kind == "material":
        return png_bytes(n), "png", ""
    return docx_bytes(title, body), "docx", "\n".join([title, *body])


def resources_demo_seed(*, district, seed: int, out, batch_size: int = 0) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from core.models import RoleGrant, School, SchoolType, StaffPost, Student, TeachingAssignment, User
    from knowledge.models import KnowledgeNode, NodeKind, TextbookEdition

    from .chinese import index_text
    from .filetypes import TYPES
    from .models import Comment, Download, Level, Push, PushTarget, Rating, Resource, ResourceReview, ReviewState

    started = time.monotonic()
    rng = random.Random(seed + 8)
    points = list(
        KnowledgeNode.objects.filter(district=district, kind=NodeKind.POINT, archived_at__isnull=True)
        .select_related("subject", "parent")
        .order_by("path")
    )
    if not points:
        return
    schools = sorted(School.objects.filter(district=district), key=lambda s: s.code)
    demo_school = next((s for s in schools if s.school_type == SchoolType.NINE_YEAR), schools[0])
    teachers: dict[tuple[int, int], list[User]] = {}
    for sp in StaffPost.objects.filter(school__district=district, main_subject__isnull=False, post="teacher"):
        teachers.setdefault((sp.school_id, sp.main_subject_id), []).append(sp.person_id)
    users = {u.person_id: u for u in User.objects.filter(person_id__in=[p for v in teachers.values() for p in v])}
    school_admins = {
        g.school_id: g.user
        for g in RoleGrant.objects.filter(role="school_admin", school__district=district).select_related("user")
    }
    district_reviewer = (
        RoleGrant.objects.filter(role__in=["researcher", "district_admin"], district=district, school__isnull=True)
        .order_by("-role")
        .first()
    )
    editions = {(e.subject_id, e.grade_label, e.volume): e for e in TextbookEdition.objects.filter(district=district)}
    kp_editions = {}
    for kp_id, ed_id in KnowledgeNode.editions.through.objects.filter(knowledgenode__in=points).values_list(
        "knowledgenode_id", "textbookedition_id"
    ):
        kp_editions.setdefault(kp_id, ed_id)
    ed_by_id = {e.pk: e for e in editions.values()}

    levels = (
        [Level.DISTRICT] * 10
        + [Level.SCHOOL] * 7
        + ["pending_school"] * 3
        + ["pending_district"] * 2
        + ["returned"]
        + [Level.PERSONAL] * 2
    )
    now = timezone.now()
    pdf_budget = [12]
    made: list[Resource] = []
    chosen = points[:: max(1, len(points) // 30)][:30]
    n = 0
    for kp in chosen:
        for kind in rng.sample(list(KIND_TEMPLATES), 2):
            candidates_schools = [s for s in schools if teachers.get((s.pk, kp.subject_id))]
            if not candidates_schools:
                continue
            school = rng.choice(candidates_schools)
            owner = users.get(rng.choice(teachers[(school.pk, kp.subject_id)]))
            if owner is None:
                continue
            n += 1
            ed = ed_by_id.get(kp_editions.get(kp.pk))
            title_t, desc_t = KIND_TEMPLATES[kind]
            title = title_t.format(
                ed=ed.name if ed else "",
                grade=ed.grade_label if ed else "七年级",
                subject=kp.subject.name,
                vol=ed.volume if ed else "",
                kp=kp.name,
            )
            desc = desc_t.format(kp=kp.name)
            data, ext, text = _files(kind, title, kp.name, desc, n, pdf_budget)
            sha = hashlib.sha256(data).hexdigest()
            name = default_storage.save(f"resources/{sha[:2]}/demo-{sha[:24]}.{ext}", ContentFile(data))
            state = rng.choice(levels)
            created = now - dt.timedelta(days=rng.randint(5, 300), hours=rng.randint(0, 12))
            level = (
                state if state in Level.values else (Level.SCHOOL if state == "pending_district" else Level.PERSONAL)
            )
            review_state = {
                "pending_school": ReviewState.PENDING_SCHOOL,
                "pending_district": ReviewState.PENDING_DISTRICT,
                "returned": ReviewState.RETURNED,
            }.get(state, "")
            tags = " ".join(rng.sample(TAGS, 2))
            r = Resource(
                district=district,
                school=school,
                owner=owner,
                title=title[:120],
                description=desc,
                kind=kind,
                stage=kp.stage,
                subject=kp.subject,
                grade_label=ed.grade_label if ed else "七年级",
                edition=ed,
                chapter=kp.parent if kp.parent_id and kp.parent.kind in (NodeKind.CHAPTER, NodeKind.SECTION) else None,
                tags=tags,
                file=name,
                file_type=ext,
                mime=TYPES[ext].mime,
                size=len(data),
                sha256=sha,
                original_name=f"{title[:60]}.{ext}",
                level=level,
                review_state=review_state,
                review_note="请补充课后练习的参考答案。" if state == "returned" else "",
                extracted_text=text,
                extract_status="ok" if text else "none",
                created_at=created,
                school_approved_at=created + dt.timedelta(days=2) if level in (Level.SCHOOL, Level.DISTRICT) else None,
                district_approved_at=created + dt.timedelta(days=6) if level == Level.DISTRICT else None,
            )
            r.search_title = index_text(r.title, tags, r.chapter.name if r.chapter else "", kp.name)
            r.search_text = index_text(desc, text)
            r.save()
            r.knowledge_points.add(kp)
            trail = []
            if state != Level.PERSONAL:
                trail.append((owner, "submit", Level.PERSONAL, "", created + dt.timedelta(hours=2)))
            if level in (Level.SCHOOL, Level.DISTRICT) and school.pk in school_admins:
                trail.append((school_admins[school.pk], "school_approve", Level.SCHOOL, "", r.school_approved_at))
            if state == "returned" and school.pk in school_admins:
                trail.append(
                    (school_admins[school.pk], "return", Level.PERSONAL, r.review_note, created + dt.timedelta(days=1))
                )
            if (level == Level.DISTRICT or state == "pending_district") and school.pk in school_admins:
                trail.append((school_admins[school.pk], "recommend", Level.SCHOOL, "", created + dt.timedelta(days=3)))
            if level == Level.DISTRICT and district_reviewer:
                trail.append((district_reviewer.user, "district_approve", Level.DISTRICT, "", r.district_approved_at))
            ResourceReview.objects.bulk_create(
                [
                    ResourceReview(resource=r, actor=actor, action=action, level=lvl, reason=reason, created_at=at)
                    for actor, action, lvl, reason, at in trail
                ]
            )
            made.append(r)

    # one outdated district item retired by the district reviewer
    district_items = [r for r in made if r.level == Level.DISTRICT]
    if district_items and district_reviewer:
        old = district_items[-1]
        old.retired_at = now - dt.timedelta(days=3)
        old.save(update_fields=["retired_at"])
        ResourceReview.objects.create(
            resource=old,
            actor=district_reviewer.user,
            action="retire",
            level=Level.DISTRICT,
            reason="教材已改版，内容过时",
        )

    # use: ratings, comments, downloads over the months
    raters = list(users.values())
    for r in made:
        if r.level == Level.PERSONAL or r.review_state == ReviewState.PENDING_SCHOOL:
            continue
        stars = []
        for u in rng.sample(raters, min(len(raters), rng.randint(0, 6))):
            if u.pk == r.owner_id:
                continue
            s = rng.choices([3, 4, 5, 2], weights=[3, 5, 4, 1])[0]
            Rating.objects.create(resource=r, user=u, stars=s)
            stars.append(s)
        for _i in range(rng.randint(0, 2)):
            Comment.objects.create(resource=r, user=rng.choice(raters), body=rng.choice(COMMENTS))
        downloads = []
        span = max(1, (now - r.created_at).days)
        for _i in range(rng.randint(1, 25 if r.level == Level.DISTRICT else 8)):
            at = r.created_at + dt.timedelta(days=rng.randint(0, span))
            downloads.append(Download(resource=r, user=rng.choice(raters), created_at=min(at, now)))
        Download.objects.bulk_create(downloads)
        Resource.objects.filter(pk=r.pk).update(
            rating_count=len(stars),
            rating_avg=round(sum(stars) / len(stars), 2) if stars else 0,
            download_count=len(downloads),
        )

    # 学习任务: the demo school's 七年级 classes get a district 课件 from their math teacher; about half done
    pushes = 0
    math_items = [r for r in made if r.level == Level.DISTRICT and r.subject.name == "数学" and not r.retired_at]
    if math_items:
        for ta in TeachingAssignment.objects.filter(
            klass__school=demo_school, subject__name="数学", term__is_current=True
        ).select_related("klass__grade", "teacher"):
            if ta.klass.grade.stage != "junior":
                continue
            teacher = User.objects.filter(person=ta.teacher).first()
            if teacher is None:
                continue
            push = Push.objects.create(
                resource=math_items[0],
                teacher=teacher,
                klass=ta.klass,
                due_date=timezone.localdate() + dt.timedelta(days=5),
                note="课前预习，完成课件中的例题",
            )
            students = list(Student.objects.filter(klass=ta.klass, archived_at__isnull=True))
            PushTarget.objects.bulk_create(
                [
                    PushTarget(
                        push=push,
                        student=s,
                        done_at=now - dt.timedelta(hours=rng.randint(1, 30)) if rng.random() < 0.5 else None,
                    )
                    for s in students
                ]
            )
            pushes += 1

    # a junior 数学 teacher of another school, to try the flow across schools
    login_note = ""
    ta = (
        TeachingAssignment.objects.filter(
            klass__school__district=district, klass__grade__stage="junior", subject__name="数学", term__is_current=True
        )
        .exclude(klass__school=demo_school)
        .select_related("klass__school")
        .order_by("klass__school__code", "klass_id")
        .first()
    )
    if ta is not None and not User.objects.filter(username="teacher2").exists():
        u = User.objects.filter(person=ta.teacher).first()
        if u is not None:
            u.username = "teacher2"
            u.set_password("Zhixiao@2026")
            if hasattr(u, "must_change_password"):
                u.must_change_password = False
            u.save()
            login_note = (
                f"；另一所学校（{ta.klass.school.name}）的数学教师账号 teacher2（任教 {ta.klass.name}），密码同演示账号"
            )
    if out:
        out(
            f"资源库：{len(made)} 个资源（区级 {sum(1 for r in made if r.level == Level.DISTRICT)}），"
            f"{pushes} 个学习任务{login_note}，用时 {time.monotonic() - started:.1f} 秒"
        )
