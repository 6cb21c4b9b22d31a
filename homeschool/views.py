"""Pages of 家校互动: the public registration form, parents' phone pages, the 班主任's queues, invitation codes
and attendance. Thin: reads through ``selectors`` / ``get_scoped``, writes through ``services``."""

from __future__ import annotations

import base64
import datetime as dt
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.audit import audit_record
from core.excel import xlsx_response
from core.http import attachment_response
from core.middleware import client_ip
from core.models import Class, Student
from core.scope import can, can_any, roles_of
from core.views.common import apply_service_errors, get_scoped

from . import selectors as sel
from . import services
from .forms import BindMoreForm, CodeForm, LeaveForm, RegisterForm
from .models import (
    CYCLE,
    AttendanceKind,
    AttendanceMark,
    AttendanceSheet,
    BindingRequest,
    BindingStatus,
    InvitationCode,
    LeaveRequest,
    LeaveStatus,
)

# --- public registration ----------------------------------------------------------------------------------

# (max failed attempts, window in seconds) of the public form, per client IP and per invitation code. Only
# failures count, so a whole parents' meeting behind one school Wi-Fi address can register with one code.
IP_FAILURES = (10, 15 * 60)
CODE_FAILURES = (20, 60 * 60)
IP_ATTEMPTS = (60, 60 * 60)  # all submissions, against mass account creation


def _hits(key: str) -> int:
    return cache.get(key, 0)


def _hit(key: str, window: int) -> None:
    if not cache.add(key, 1, window):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, window)


def _limited(ip: str, code: str) -> bool:
    return (
        _hits(f"zx:hs:ipf:{ip}") >= IP_FAILURES[0]
        or _hits(f"zx:hs:ipa:{ip}") >= IP_ATTEMPTS[0]
        or (code and _hits(f"zx:hs:cf:{code}") >= CODE_FAILURES[0])
    )


def register(request):
    """家长注册与绑定 (public, phone-first). Wrong child data only ever says "信息不匹配"."""
    done = request.session.get("zx_hs_registered") if request.GET.get("done") else None
    if done and request.method == "GET":
        binding = BindingRequest.objects.select_related("student__person", "student__klass__grade").get(
            pk=done["binding"]
        )
        ctx = {"title": _("申请已提交"), "done": done, "binding": binding, "username": done["username"]}
        return render(request, "homeschool/register_done.html", ctx)
    initial = {"code": request.GET.get("code", "")[:20]}
    me = request.user.person if request.user.is_authenticated and request.user.person_id else None
    form = (BindMoreForm if me else RegisterForm)(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        ip = client_ip(request) or "unknown"
        code = "".join(ch for ch in request.POST.get("code", "").upper() if ch.isalnum())[:20]
        # one audit row per address and window, not one per refused request (a flood must not fill the log)
        if _limited(ip, code):
            if cache.add(f"zx:hs:limlog:{ip}", 1, IP_FAILURES[1]):
                audit_record(
                    actor=None,
                    action="homeschool.register_limited",
                    object_type="homeschool.bindingrequest",
                    object_repr=code,
                    result="denied",
                    ip=ip,
                )
            form.add_error(None, _("尝试次数过多，请 15 分钟后再试，或联系班主任。"))
            return render(request, "homeschool/register.html", {"form": form, "title": _("家长注册")}, status=429)
        _hit(f"zx:hs:ipa:{ip}", IP_ATTEMPTS[1])
        if form.is_valid():
            d = form.cleaned_data
            try:
                result = services.parent_register(
                    code=d["code"],
                    phone=d.get("phone", ""),
                    parent_name=d.get("parent_name", ""),
                    child_name=d["child_name"],
                    child_id_number=d["child_id_number"],
                    relation=d["relation"],
                    password=d.get("password", ""),
                    ip=ip,
                    guardian=me,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                if result.new_account and not request.user.is_authenticated:
                    auth_login(request, result.user, backend="django.contrib.auth.backends.ModelBackend")
                request.session["zx_hs_registered"] = {
                    "binding": result.binding.pk,
                    "username": result.user.username,
                    "new_account": result.new_account,
                    "password_pending": result.password_pending,
                }
                return redirect(f"{reverse('homeschool:register')}?done=1")
        _hit(f"zx:hs:ipf:{ip}", IP_FAILURES[1])
        if code:
            _hit(f"zx:hs:cf:{code}", CODE_FAILURES[1])
        status = 400
    return render(request, "homeschool/register.html", {"form": form, "title": _("家长注册")}, status=status)


# --- parents ----------------------------------------------------------------------------------------------


@login_required
def parent_home(request):
    """我的孩子: children, their recent leave requests, binding requests still waiting."""
    children = sel.my_children(request.user)
    leaves = {}
    for g in children:
        leaves[g.student_id] = list(sel.leaves_for(request.user, student_id=g.student_id)[:3])
    today = timezone.localdate()
    # Parents do not read class sheets (their counts concern classmates); this only asks whether the class
    # of one of their own (scoped) children has been taken today, so "no mark" can read as 出勤.
    taken = set(
        AttendanceSheet.objects.filter(date=today, klass_id__in=[g.student.klass_id for g in children]).values_list(
            "klass_id", flat=True
        )
    )
    marks = {
        m.student_id: m.get_kind_display()
        for m in AttendanceMark.objects.visible_to(request.user).filter(
            sheet__date=today, student_id__in=[g.student_id for g in children]
        )
    }
    rows = [
        {
            "g": g,
            "leaves": leaves[g.student_id],
            "can_leave": can(request.user, "add", _probe(g.student)),
            "today": marks.get(g.student_id) or (_("出勤") if g.student.klass_id in taken else ""),
        }
        for g in children
    ]
    ctx = {"title": _("我的孩子"), "rows": rows, "bindings": sel.my_binding_requests(request.user)}
    return render(request, "homeschool/parent_home.html", ctx)


def _probe(student: Student) -> LeaveRequest:
    return LeaveRequest(student=student, klass_id=student.klass_id, klass=student.klass)


def _student(request, pk: int) -> Student:
    return get_scoped(Student, request.user, pk, queryset=Student.objects.select_related("person", "klass__grade"))


@login_required
def leave_create(request, student: int):
    child = _student(request, student)
    if not can(request.user, "add", _probe(child)):
        raise PermissionDenied(_("只有孩子的家长可以请假"))
    form = LeaveForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            leave = services.leave_submit(actor=request.user, student=child, **d)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("请假申请已提交，等待班主任审批。"))
            return redirect("homeschool:leave_detail", leave.pk)
    ctx = {"title": _("请假申请"), "form": form, "student": child}
    return render(request, "homeschool/leave_form.html", ctx)


def _leave(request, pk: int) -> LeaveRequest:
    return get_scoped(
        LeaveRequest,
        request.user,
        pk,
        queryset=LeaveRequest.objects.select_related(
            "student__person", "klass__grade", "klass__school", "submitted_by"
        ),
    )


ACTION_LABELS = {
    "submit": gettext_lazy("提交申请"),
    "approve_head": gettext_lazy("班主任同意，转年级组长"),
    "approve": gettext_lazy("批准"),
    "reject": gettext_lazy("驳回"),
    "cancel": gettext_lazy("家长撤销"),
    "return": gettext_lazy("销假"),
}


@login_required
def leave_detail(request, pk: int):
    leave = _leave(request, pk)
    user = request.user
    timeline = [
        {**t, "label": ACTION_LABELS.get(t["action"], t["action"]), "at": dt.datetime.fromisoformat(t["at"])}
        for t in leave.timeline
    ]
    ctx = {
        "title": _("请假详情"),
        "leave": leave,
        "timeline": timeline,
        "can_decide": services.can_decide(user, leave),
        "can_cancel": leave.is_pending and can(user, "cancel", leave),
        "can_return": leave.status == LeaveStatus.APPROVED and not leave.returned_at and can(user, "return", leave),
        "is_parent": can(user, "cancel", leave),
        "grade_days": services.grade_leader_days(),
    }
    return render(request, "homeschool/leave_detail.html", ctx)


def _run(request, fn, success: str):
    try:
        fn()
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
        return False
    messages.success(request, success)
    return True


@login_required
@require_POST
def leave_cancel(request, pk: int):
    leave = _leave(request, pk)
    _run(request, lambda: services.leave_cancel(actor=request.user, leave=leave), _("请假已撤销。"))
    return redirect("homeschool:leave_detail", pk)


@login_required
@require_POST
def leave_approve(request, pk: int):
    leave = _leave(request, pk)
    if not services.can_decide(request.user, leave):
        raise PermissionDenied
    note = request.POST.get("note", "")
    _run(request, lambda: services.leave_approve(actor=request.user, leave=leave, note=note), _("已审批。"))
    if request.POST.get("next") == "queue":
        return redirect("homeschool:leave_queue")
    return redirect("homeschool:leave_detail", pk)


@login_required
@require_POST
def leave_reject(request, pk: int):
    leave = _leave(request, pk)
    if not services.can_decide(request.user, leave):
        raise PermissionDenied
    reason = request.POST.get("reason", "")
    _run(request, lambda: services.leave_reject(actor=request.user, leave=leave, reason=reason), _("已驳回。"))
    return redirect("homeschool:leave_detail", pk)


@login_required
@require_POST
def leave_return(request, pk: int):
    leave = _leave(request, pk)
    if not can(request.user, "return", leave):
        raise PermissionDenied
    note = request.POST.get("note", "")
    _run(request, lambda: services.leave_return(actor=request.user, leave=leave, note=note), _("已销假。"))
    return redirect("homeschool:leave_detail", pk)


@login_required
def leave_attachment(request, pk: int):
    """The leave's attachment, only through this view (the media folder is not served)."""
    leave = _leave(request, pk)
    if not leave.attachment:
        raise Http404
    audit_record(actor=request.user, action="homeschool.leave_attachment", obj=leave, object_repr=str(leave))
    # always a download: an uploaded file is never rendered inside the site's origin
    response = FileResponse(leave.attachment.open("rb"), as_attachment=True, filename=leave.attachment_name or "附件")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response


@login_required
def student_leaves(request, student: int):
    """请假记录 of one child (parents, the 班主任, the school)."""
    child = _student(request, student)
    leaves = list(sel.leaves_for(request.user, student_id=child.pk))
    marks = (
        AttendanceMark.objects.visible_to(request.user)
        .filter(student=child)
        .select_related("sheet")
        .order_by("-sheet__date")[:30]
    )
    ctx = {
        "title": _("请假记录"),
        "student": child,
        "leaves": leaves,
        "marks": marks,
        "can_leave": can(request.user, "add", _probe(child)),
    }
    return render(request, "homeschool/student_leaves.html", ctx)


# --- teachers: leave queue --------------------------------------------------------------------------------


@login_required
def leave_queue(request):
    """请假审批: what waits for me, then the class's/grade's/school's leaves (filter by status)."""
    if not can_any(request.user, "view", LeaveRequest):
        raise PermissionDenied
    status = request.GET.get("status", "")
    ctx = {
        "title": _("请假审批"),
        "todo": list(sel.leaves_to_decide(request.user)[:200]),
        "leaves": list(sel.leaves_for(request.user, status=status)[:100]),
        "status": status,
        "statuses": LeaveStatus.choices,
    }
    return render(request, "homeschool/leave_queue.html", ctx)


# --- binding and invitation codes -----------------------------------------------------------------------


def _code_classes(user) -> list[Class]:
    if not can_any(user, "add", InvitationCode):
        return []
    classes = (
        Class.objects.visible_to(user)
        .filter(archived_at__isnull=True)
        .select_related("grade", "school")
        .order_by("-grade__entry_year", "number")
    )
    return [k for k in classes if can(user, "add", InvitationCode(klass=k))][:200]


@login_required
def binding_queue(request):
    """家长绑定: pending requests to approve, and the classes whose invitation codes the user manages."""
    if not can_any(request.user, "view", BindingRequest):
        raise PermissionDenied
    pending = (
        BindingRequest.objects.visible_to(request.user, "change")
        .filter(status=BindingStatus.PENDING)
        .select_related("student__person", "student__klass__grade", "guardian")
        .order_by("created_at")
    )
    recent = (
        BindingRequest.objects.visible_to(request.user)
        .exclude(status=BindingStatus.PENDING)
        .select_related("student__person", "student__klass__grade", "guardian", "decided_by__person")[:30]
    )
    classes = _code_classes(request.user)
    coverage = sel.binding_coverage(request.user, classes)
    rows = [{"klass": k, **coverage.get(k.pk, {"students": 0, "bound": 0})} for k in classes]
    ctx = {"title": _("家长绑定"), "pending": pending, "recent": recent, "classes": rows}
    return render(request, "homeschool/binding_queue.html", ctx)


def _binding(request, pk: int) -> BindingRequest:
    return get_scoped(
        BindingRequest,
        request.user,
        pk,
        "change",
        queryset=BindingRequest.objects.select_related("student__person", "guardian"),
    )


@login_required
@require_POST
def binding_approve(request, pk: int):
    b = _binding(request, pk)
    _run(
        request,
        lambda: services.binding_approve(actor=request.user, binding=b),
        _("已通过 %(name)s 的家长绑定。") % {"name": b.student.person.name},
    )
    return redirect("homeschool:binding_queue")


@login_required
@require_POST
def binding_reject(request, pk: int):
    b = _binding(request, pk)
    reason = request.POST.get("reason", "")
    _run(request, lambda: services.binding_reject(actor=request.user, binding=b, reason=reason), _("已驳回。"))
    return redirect("homeschool:binding_queue")


def _code_class(request, pk: int) -> Class:
    klass = get_scoped(Class, request.user, pk, queryset=Class.objects.select_related("grade", "school"))
    if not can(request.user, "add", InvitationCode(klass=klass)):
        raise Http404
    return klass


@login_required
def codes(request, klass: int):
    """班级邀请码: list, generate, revoke, print."""
    k = _code_class(request, klass)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            code = services.invitation_code_create(actor=request.user, klass=k, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("已生成邀请码 %(code)s。") % {"code": code.code})
            return redirect("homeschool:codes", k.pk)
    rows = InvitationCode.objects.visible_to(request.user).filter(klass=k)[:50]
    ctx = {"title": _("班级邀请码"), "klass": k, "codes": rows, "form": form, "unbound": sel.unbound_students(k)}
    return render(request, "homeschool/codes.html", ctx)


def _code(request, pk: int, action: str = "view") -> InvitationCode:
    return get_scoped(
        InvitationCode,
        request.user,
        pk,
        action,
        queryset=InvitationCode.objects.select_related("klass__grade", "klass__school"),
    )


@login_required
@require_POST
def code_revoke(request, pk: int):
    code = _code(request, pk, "change")
    services.invitation_code_revoke(actor=request.user, code=code)
    messages.success(request, _("邀请码 %(code)s 已作废。") % {"code": code.code})
    return redirect("homeschool:codes", code.klass_id)


def _qr_svg(text: str) -> str:
    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buf = BytesIO()
    img.save(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


@login_required
def code_qr(request, pk: int):
    """The registration QR code as a PNG, to post in the class's parent group chat."""
    code = _code(request, pk)
    url = request.build_absolute_uri(reverse("homeschool:register") + f"?code={code.code}")
    buf = BytesIO()
    qrcode.make(url, box_size=12, border=3).save(buf, format="PNG")
    return attachment_response(
        buf.getvalue(), f"{code.klass.name}-家长注册二维码-{code.code}.png", "image/png", stamp=False
    )


@login_required
def code_print(request, pk: int):
    """Printable slips (8 per A4 page) with the QR code and the code, to hand out at a parents' meeting."""
    code = _code(request, pk)
    url = request.build_absolute_uri(reverse("homeschool:register") + f"?code={code.code}")
    ctx = {"title": _("打印邀请码"), "code": code, "url": url, "qr": _qr_svg(url), "slips": range(8)}
    return render(request, "homeschool/code_print.html", ctx)


# --- attendance -----------------------------------------------------------------------------------------


@login_required
def attendance_home(request):
    """考勤: the classes the user takes or reads attendance of, with today's state."""
    user = request.user
    if "district_admin" in roles_of(user):
        return redirect("homeschool:attendance_overview")
    classes = sel.attendance_classes(user)
    if not classes:
        raise PermissionDenied
    today = timezone.localdate()
    taken = {s.klass_id: s for s in AttendanceSheet.objects.visible_to(user).filter(date=today, klass__in=classes)}
    rows = [
        {"klass": k, "sheet": taken.get(k.pk), "can_take": can(user, "add", AttendanceSheet(klass=k))} for k in classes
    ]
    ctx = {"title": _("考勤"), "rows": rows, "today": today, "overview": can_any(user, "export", AttendanceSheet)}
    return render(request, "homeschool/attendance_home.html", ctx)


def _attendance_class(request, pk: int) -> Class:
    klass = get_scoped(Class, request.user, pk, queryset=Class.objects.select_related("grade", "school"))
    if not can(request.user, "view", AttendanceSheet(klass=klass)):
        raise Http404
    return klass


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Http404 from None


@login_required
def attendance_take(request, klass: int, day: str):
    """点名: everyone present by default; a tap cycles 迟到 → 早退 → 缺勤 → 请假; approved leaves pre-fill 请假."""
    k = _attendance_class(request, klass)
    date = _day(day)
    sheet = AttendanceSheet.objects.filter(klass=k, date=date).first()
    may_take = can(request.user, "change" if sheet else "add", sheet or AttendanceSheet(klass=k, date=date))
    students = sel.class_students(k)
    error = ""
    if request.method == "POST":
        if not may_take:
            raise PermissionDenied
        marks = {}
        for s in students:
            kind = request.POST.get(f"s{s.pk}", "")
            if kind:
                marks[s.pk] = kind
        try:
            services.attendance_take(actor=request.user, klass=k, date=date, marks=marks)
        except ValidationError as exc:
            error = "；".join(exc.messages)
        else:
            messages.success(request, _("%(day)s 考勤已保存。") % {"day": f"{date:%m月%d日}"})
            return redirect("homeschool:attendance_take", k.pk, date.isoformat())
    leaves = services.approved_leaves_on(klass_id=k.pk, day=date)
    if sheet:
        current = dict(sheet.marks.values_list("student_id", "kind"))
    else:
        current = dict.fromkeys(leaves, AttendanceKind.LEAVE)
    labels = dict(AttendanceKind.choices)
    rows = [
        {
            "student": s,
            "kind": current.get(s.pk, ""),
            "label": labels.get(current.get(s.pk, ""), _("出勤")),
            "leave": leaves.get(s.pk),
        }
        for s in students
    ]
    counts = {kind: sum(1 for r in rows if r["kind"] == kind) for kind in AttendanceKind.values}
    ctx = {
        "title": _("考勤"),
        "klass": k,
        "date": date,
        "sheet": sheet,
        "rows": rows,
        "counts": counts,
        "present": len(rows) - counts["absent"] - counts["leave"],
        "may_take": may_take and date <= timezone.localdate(),
        "prev": (date - dt.timedelta(days=1)).isoformat(),
        "next": (date + dt.timedelta(days=1)).isoformat() if date < timezone.localdate() else "",
        "cycle": [{"kind": c, "label": labels.get(c, _("出勤"))} for c in CYCLE],
        "error": error,
    }
    return render(request, "homeschool/attendance_take.html", ctx)


def _month_ctx(request, klass: int) -> tuple[Class, dict, dt.date]:
    k = _attendance_class(request, klass)
    first, last = sel.month_bounds(request.GET.get("month"), timezone.localdate())
    return k, sel.class_month(user=request.user, klass=k, first=first, last=last), first


@login_required
def attendance_month(request, klass: int):
    """月统计: per student counts by kind and 出勤率, with the daily rate chart."""
    k, data, first = _month_ctx(request, klass)
    prev = (first - dt.timedelta(days=1)).replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    ctx = {
        "title": _("考勤月统计"),
        "klass": k,
        "data": data,
        "month": first,
        "prev": f"{prev:%Y-%m}",
        "next": f"{nxt:%Y-%m}" if nxt <= timezone.localdate() else "",
        "can_export": can(request.user, "export", AttendanceSheet(klass=k)),
    }
    return render(request, "homeschool/attendance_month.html", ctx)


@login_required
def attendance_month_export(request, klass: int):
    k, data, first = _month_ctx(request, klass)
    if not can(request.user, "export", AttendanceSheet(klass=k)):
        raise PermissionDenied
    audit_record(
        actor=request.user, action="homeschool.attendance_export", obj=k, object_repr=f"{k} {first:%Y-%m} 考勤"
    )
    headers = [
        _("班内学号"),
        _("姓名"),
        _("考勤天数"),
        _("迟到"),
        _("早退"),
        _("缺勤（旷课）"),
        _("请假"),
        _("出勤率（%）"),
    ]
    rows = [
        [
            r["student"].class_no,
            r["student"].person.name,
            r["days"],
            r["late"],
            r["early"],
            r["absent"],
            r["leave"],
            r["rate"],
        ]
        for r in data["students"]
    ]
    name = f"{k.school.name}{k.name}-{first:%Y年%m月}考勤"
    return xlsx_response(filename=name, headers=headers, rows=rows, sheet=f"{first:%Y-%m}")


@login_required
def attendance_overview(request):
    """考勤总览: the school's / grade's classes, or the district's schools (school-level rates only)."""
    if not can_any(request.user, "export", AttendanceSheet):
        raise PermissionDenied
    first, last = sel.month_bounds(request.GET.get("month"), timezone.localdate())
    data = sel.overview(user=request.user, first=first, last=last)
    prev = (first - dt.timedelta(days=1)).replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    ctx = {
        "title": _("考勤总览"),
        "data": data,
        "month": first,
        "prev": f"{prev:%Y-%m}",
        "next": f"{nxt:%Y-%m}" if nxt <= timezone.localdate() else "",
    }
    return render(request, "homeschool/attendance_overview.html", ctx)


@login_required
def attendance_overview_export(request):
    """考勤总览 as Excel: the same rows as the page (schools for the district, classes for a school/grade)."""
    if not can_any(request.user, "export", AttendanceSheet):
        raise PermissionDenied
    first, last = sel.month_bounds(request.GET.get("month"), timezone.localdate())
    data = sel.overview(user=request.user, first=first, last=last)
    audit_record(
        actor=request.user,
        action="homeschool.attendance_export",
        object_type="homeschool.attendancesheet",
        object_repr=f"{first:%Y-%m} 考勤总览",
    )
    unit = _("学校") if data["by_school"] else _("班级")
    headers = [unit, _("应到人次"), _("迟到"), _("早退"), _("缺勤（旷课）"), _("请假"), _("出勤率（%）")]
    rows = [[r["name"], r["expected"], r["late"], r["early"], r["absent"], r["leave"], r["rate"]] for r in data["rows"]]
    return xlsx_response(filename=f"{first:%Y年%m月}考勤总览", headers=headers, rows=rows, sheet=f"{first:%Y-%m}")
