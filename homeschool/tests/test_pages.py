"""Pages of 家校互动 driven through the test client as named users."""

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import AuditLog, User
from core.testing import login
from homeschool import services
from homeschool.models import AttendanceSheet, BindingRequest, InvitationCode, LeaveRequest
from homeschool.scope_cases import PNG

from .conftest import next_weekday

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def client_for(user) -> Client:
    c = Client()
    login(c, user)
    return c


def form_data(world, code, **kw):
    data = {
        "code": code.code,
        "child_name": world.student_a1b.person.name,
        "child_id_number": world.student_a1b.person.id_number,
        "parent_name": "吴大伟",
        "relation": "2",
        "phone": "13911112222",
        "password": "Parent#2026abc",
        "password2": "Parent#2026abc",
    }
    data.update(kw)
    return data


def test_register_page_is_public_and_prefills_code(world, code_a1):
    response = Client().get(reverse("homeschool:register"), {"code": code_a1.code})
    assert response.status_code == 200
    body = response.content.decode()
    assert "家长注册" in body and f'value="{code_a1.code}"' in body


def test_register_logs_in_the_new_parent(world, code_a1):
    c = Client()
    response = c.post(reverse("homeschool:register"), form_data(world, code_a1), follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    user = User.objects.get(person__name="吴大伟")
    assert user.username in body and "等待班主任审核" in body
    page = c.get(reverse("homeschool:parent_home")).content.decode()
    assert "正在等待班主任审核" in page and world.student_a1b.person.name in page


def test_register_mismatch_is_generic_and_rate_limited(world, code_a1):
    c = Client(REMOTE_ADDR="10.1.2.3")
    wrong_name = c.post(reverse("homeschool:register"), form_data(world, code_a1, child_name="吴小白"))
    wrong_id = c.post(reverse("homeschool:register"), form_data(world, code_a1, child_id_number="110101201001011234"))
    for response in (wrong_name, wrong_id):
        assert response.status_code == 400
        assert services.MISMATCH in response.content.decode()
    for _ in range(8):
        c.post(reverse("homeschool:register"), form_data(world, code_a1, child_name="吴小白"))
    # the 11th attempt from that address is refused even with correct data
    response = c.post(reverse("homeschool:register"), form_data(world, code_a1))
    assert response.status_code == 429 and "尝试次数过多" in response.content.decode()
    c.post(reverse("homeschool:register"), form_data(world, code_a1))
    assert AuditLog.objects.filter(action="homeschool.register_limited").count() == 1  # once per window
    assert BindingRequest.objects.count() == 0
    # another address still gets through
    ok = Client(REMOTE_ADDR="10.9.9.9").post(reverse("homeschool:register"), form_data(world, code_a1))
    assert ok.status_code == 302 and BindingRequest.objects.count() == 1


def test_code_failures_are_limited_across_addresses(world, code_a1):
    for i in range(20):
        Client(REMOTE_ADDR=f"10.0.0.{i}").post(
            reverse("homeschool:register"), form_data(world, code_a1, child_name="吴小白")
        )
    response = Client(REMOTE_ADDR="10.0.1.1").post(reverse("homeschool:register"), form_data(world, code_a1))
    assert response.status_code == 429


def test_binding_queue_approve(world, code_a1):
    Client().post(reverse("homeschool:register"), form_data(world, code_a1))
    c = client_for(world.head_teacher_a1)
    page = c.get(reverse("homeschool:binding_queue")).content.decode()
    assert "吴大伟" in page and "139****2222" in page and "13911112222" not in page
    assert "吴大伟" not in client_for(world.head_teacher_a2).get(reverse("homeschool:binding_queue")).content.decode()
    assert f"{world.class_a1.name} 邀请码" in page and "1/2</span>" in page  # 周小明 has a parent, 吴小红 not yet
    codes = c.get(reverse("homeschool:codes", args=[world.class_a1.pk])).content.decode()
    unbound = codes.split('data-testid="unbound">')[1].split("</p>")[0]
    assert world.student_a1b.person.name in unbound and world.student_a1.person.name not in unbound
    b = BindingRequest.objects.get()
    assert c.post(reverse("homeschool:binding_approve", args=[b.pk])).status_code == 302
    assert "2/2</span>" in c.get(reverse("homeschool:binding_queue")).content.decode()
    b.refresh_from_db()
    assert b.status == "approved" and b.guardianship is not None


def test_code_page_and_print(world):
    c = client_for(world.head_teacher_a1)
    url = reverse("homeschool:codes", args=[world.class_a1.pk])
    response = c.post(url, {"days": "0", "max_uses": "50"})
    assert response.status_code == 200 and "有效天数" in response.content.decode()
    assert c.post(url, {"days": "14", "max_uses": "50"}).status_code == 302
    code = InvitationCode.objects.get()
    assert code.max_uses == 50
    page = c.get(reverse("homeschool:code_print", args=[code.pk])).content.decode()
    assert page.count(code.code) >= 8 and "data:image/svg+xml;base64," in page
    assert f"/homeschool/register/?code={code.code}" in page
    png = c.get(reverse("homeschool:code_qr", args=[code.pk]))
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    c.post(reverse("homeschool:code_revoke", args=[code.pk]))
    assert "已作废" in c.get(url).content.decode()


def test_parent_submits_leave_with_attachment(world, media):
    c = client_for(world.parent1)
    home = c.get(reverse("homeschool:parent_home")).content.decode()
    assert world.student_a1.person.name in home and world.student_b1.person.name in home
    assert world.student_a2.person.name not in home
    day = next_weekday(1).isoformat()
    data = {"kind": "sick", "start_date": day, "start_half": "am", "end_date": day, "end_half": "pm", "reason": "发烧"}
    bad = SimpleUploadedFile("x.exe", b"MZ\x90\x00binary", content_type="application/pdf")
    response = c.post(reverse("homeschool:leave_create", args=[world.student_a1.pk]), {**data, "attachment": bad})
    assert response.status_code == 200 and "附件只能是图片" in response.content.decode()
    assert LeaveRequest.objects.count() == 0
    png = SimpleUploadedFile("病历.png", PNG, content_type="image/png")
    response = c.post(reverse("homeschool:leave_create", args=[world.student_a1.pk]), {**data, "attachment": png})
    leave = LeaveRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("homeschool:leave_detail", args=[leave.pk])
    url = reverse("homeschool:leave_attachment", args=[leave.pk])
    got = client_for(world.head_teacher_a1).get(url)
    assert got.status_code == 200 and b"".join(got.streaming_content) == PNG
    assert client_for(world.head_teacher_a2).get(url).status_code == 404
    assert client_for(world.parent2).get(url).status_code == 404
    assert Client().get(url).status_code == 302


def test_head_teacher_approves_in_queue_and_attendance_prefills(world, school_day):
    day = school_day
    leave = services.leave_submit(
        actor=world.parent1, student=world.student_a1, kind="sick", start_date=day, end_date=day, reason="发烧"
    )
    c = client_for(world.head_teacher_a1)
    queue = c.get(reverse("homeschool:leave_queue")).content.decode()
    assert 'data-testid="todo-count">1<' in queue
    c.post(reverse("homeschool:leave_approve", args=[leave.pk]), {"next": "queue"})
    leave.refresh_from_db()
    assert leave.status == "approved"
    page = c.get(reverse("homeschool:attendance_take", args=[world.class_a1.pk, day.isoformat()])).content.decode()
    assert f'name="s{world.student_a1.pk}" value="leave"' in page
    assert f'name="s{world.student_a1b.pk}" value=""' in page
    response = c.post(
        reverse("homeschool:attendance_take", args=[world.class_a1.pk, day.isoformat()]),
        {f"s{world.student_a1.pk}": "leave", f"s{world.student_a1b.pk}": "late"},
    )
    assert response.status_code == 302
    sheet = AttendanceSheet.objects.get()
    assert (sheet.leave, sheet.late, sheet.present) == (1, 1, 1)
    assert sheet.marks.get(student=world.student_a1).leave_id == leave.pk


def test_subject_teacher_reads_but_cannot_take(world):
    day = timezone.localdate().isoformat()
    c = client_for(world.teacher_a)
    page = c.get(reverse("homeschool:attendance_take", args=[world.class_a1.pk, day])).content.decode()
    assert "保存考勤" not in page and world.student_a1.person.name in page
    response = c.post(reverse("homeschool:attendance_take", args=[world.class_a1.pk, day]), {})
    assert response.status_code == 403
    assert AttendanceSheet.objects.count() == 0


def test_month_page_and_excel_export(world):
    day = timezone.localdate()
    services.attendance_take(
        actor=world.head_teacher_a1, klass=world.class_a1, date=day, marks={world.student_a1.pk: "absent"}
    )
    c = client_for(world.head_teacher_a1)
    page = c.get(reverse("homeschool:attendance_month", args=[world.class_a1.pk])).content.decode()
    assert 'data-testid="month-rate">50.0%<' in page
    response = c.get(reverse("homeschool:attendance_month_export", args=[world.class_a1.pk]))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(ws.values)
    assert rows[0][:2] == ("班内学号", "姓名")
    assert (rows[1][1], rows[1][5], rows[1][7]) == (world.student_a1.person.name, 1, 0)
    assert (rows[2][1], rows[2][7]) == (world.student_a1b.person.name, 100)


def test_overview_district_sees_school_rates_only(world):
    services.attendance_take(actor=world.head_teacher_a1, klass=world.class_a1, date=timezone.localdate(), marks={})
    c = client_for(world.district_admin)
    assert c.get(reverse("homeschool:attendance_home")).status_code == 302
    page = c.get(reverse("homeschool:attendance_overview")).content.decode()
    assert world.school_a.name in page and "100.0%" in page and world.class_a1.name not in page
    assert client_for(world.parent1).get(reverse("homeschool:attendance_overview")).status_code == 403
    response = c.get(reverse("homeschool:attendance_overview_export"))
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    assert rows == [
        ("学校", "应到人次", "迟到", "早退", "缺勤（旷课）", "请假", "出勤率（%）"),
        (world.school_a.name, 2, 0, 0, 0, 0, 100),
    ]


def test_menu_entries(world):
    parent_menu = client_for(world.parent1).get(reverse("homeschool:parent_home")).content.decode()
    assert "我的孩子" in parent_menu and "请假审批" not in parent_menu
    teacher_menu = client_for(world.head_teacher_a1).get(reverse("homeschool:leave_queue")).content.decode()
    assert "请假审批" in teacher_menu and "家长绑定" in teacher_menu and "考勤" in teacher_menu


def test_leave_detail_actions_by_role(world):
    day = next_weekday(2)
    leave = services.leave_submit(
        actor=world.parent1, student=world.student_a1, kind="personal", start_date=day, end_date=day, reason="家中有事"
    )
    url = reverse("homeschool:leave_detail", args=[leave.pk])
    parent = client_for(world.parent1).get(url).content.decode()
    assert "撤销申请" in parent and 'data-testid="decide"' not in parent
    head = client_for(world.head_teacher_a1).get(url).content.decode()
    assert 'data-testid="decide"' in head and "撤销申请" not in head
    r = client_for(world.head_teacher_a1).post(reverse("homeschool:leave_reject", args=[leave.pk]), {"reason": ""})
    assert r.status_code == 302
    leave.refresh_from_db()
    assert leave.status == "pending_head"
    assert client_for(world.parent2).get(url).status_code == 404


def test_logged_in_parent_binds_another_child_without_phone_or_password(world):
    code_a2 = services.invitation_code_create(actor=world.head_teacher_a2, klass=world.class_a2)
    c = client_for(world.parent1)
    page = c.get(reverse("homeschool:register")).content.decode()
    assert 'name="phone"' not in page and 'name="password"' not in page and 'name="child_id_number"' in page
    data = {
        "code": code_a2.code,
        "child_name": world.student_a2.person.name,
        "child_id_number": world.student_a2.person.id_number,
        "relation": "1",
    }
    response = c.post(reverse("homeschool:register"), data, follow=True)
    assert "请等待班主任审核" in response.content.decode()
    b = BindingRequest.objects.get()
    assert b.guardian_id == world.parent1.person_id and b.student == world.student_a2
    assert User.objects.get(pk=world.parent1.pk).check_password(world.password)


def test_grade_leader_overview_is_the_grades_classes(world, grade_leader):
    services.attendance_take(actor=world.head_teacher_a1, klass=world.class_a1, date=timezone.localdate(), marks={})
    c = client_for(grade_leader)
    page = c.get(reverse("homeschool:attendance_overview")).content.decode()
    assert world.class_a1.name in page and "100.0%" in page
    home = c.get(reverse("homeschool:attendance_home")).content.decode()
    assert home.count('data-testid="attendance-classes"') == 1
    assert world.class_a1.name in home and world.class_a2.name in home
    assert "今日考勤" in home and ">点名<" not in home  # reads, does not take


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_rows(world):
    today = timezone.localdate()
    c = client_for(world.head_teacher_a1)
    month = reverse("homeschool:attendance_month", args=[world.class_a1.pk])
    queue = reverse("homeschool:leave_queue")
    services.attendance_take(actor=world.head_teacher_a1, klass=world.class_a1, date=today, marks={})
    services.leave_submit(
        actor=world.parent1,
        student=world.student_a1,
        kind="sick",
        start_date=next_weekday(1),
        end_date=next_weekday(1),
        reason="一",
    )
    few = (_queries(c, month), _queries(c, queue))
    first = today.replace(day=1)
    for i in range(1, min(6, today.day)):
        day = today - timezone.timedelta(days=i)
        if day >= first:
            services.attendance_take(
                actor=world.head_teacher_a1, klass=world.class_a1, date=day, marks={world.student_a1.pk: "late"}
            )
    for offset in (8, 15, 22):
        services.leave_submit(
            actor=world.parent1,
            student=world.student_a1,
            kind="sick",
            start_date=next_weekday(offset),
            end_date=next_weekday(offset),
            reason="二",
        )
    assert (_queries(c, month), _queries(c, queue)) == few


def test_parent_home_shows_todays_attendance_of_own_child_only(world):
    today = timezone.localdate()
    services.attendance_take(
        actor=world.head_teacher_a1, klass=world.class_a1, date=today, marks={world.student_a1.pk: "late"}
    )
    page = client_for(world.parent1).get(reverse("homeschool:parent_home")).content.decode()
    assert page.count('data-testid="today-attendance"') == 1 and "今日 迟到" in page
    services.attendance_take(actor=world.head_teacher_a1, klass=world.class_a1, date=today, marks={})
    page = client_for(world.parent1).get(reverse("homeschool:parent_home")).content.decode()
    assert "今日 出勤" in page
    assert (
        "今日"
        not in client_for(world.parent2).get(reverse("homeschool:parent_home")).content.decode().split("我的孩子")[-1]
    )
