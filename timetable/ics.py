"""iCalendar (RFC 5545) feed of a user's timetables: one VEVENT per lesson occurrence for the coming weeks,
times from the school's 作息 in Asia/Shanghai, approved 调课/代课 applied."""

from __future__ import annotations

import datetime as dt

from . import selectors as sel
from .problem import week_setup_for

WEEKS_AHEAD = 8
VTIMEZONE = [
    "BEGIN:VTIMEZONE",
    "TZID:Asia/Shanghai",
    "BEGIN:STANDARD",
    "DTSTART:19700101T000000",
    "TZOFFSETFROM:+0800",
    "TZOFFSETTO:+0800",
    "TZNAME:CST",
    "END:STANDARD",
    "END:VTIMEZONE",
]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """Lines longer than 75 octets are folded (continuation lines start with a space)."""
    out, current = [], ""
    for ch in line:
        if len((current + ch).encode()) > 74:
            out.append(current)
            current = " " + ch
        else:
            current += ch
    out.append(current)
    return out


def _stamp(day: dt.date, hhmm: str) -> str:
    h, m = (int(x) for x in hhmm.split(":"))
    return f"{day:%Y%m%d}T{h:02d}{m:02d}00"


def timetable_events(user, *, today: dt.date, weeks: int = WEEKS_AHEAD) -> list[dict]:
    """The lesson occurrences of the user's timetables from this week on (dicts, for the feed and tests). Each day
    comes from the version in force that day: when a new version takes effect on a Wednesday, Monday and Tuesday
    keep the old version's lessons."""
    from core.models import Class

    events = []
    for target in sel.own_lesson_targets(user):
        klass = None
        if target["kind"] != "teacher":
            klass = Class.objects.visible_to(user).filter(pk=target["id"]).select_related("grade").first()
            if klass is None:
                continue
        start = sel.monday_of(today)
        for w in range(weeks):
            monday = start + dt.timedelta(days=7 * w)
            for tt, days in sel.versions_by_day(user=user, school_id=target["school_id"], monday=monday):
                if monday > tt.term.end_date:
                    continue
                if klass is None:
                    grid = sel.teacher_grid(user=user, timetable=tt, teacher=user.person, monday=monday)
                else:
                    grid = sel.class_grid(user=user, timetable=tt, klass=klass, monday=monday)
                events += _week_events(tt, target, monday, [it for it in sel.grid_items(grid) if it["day"] in days])
    return events


def _week_events(tt, target: dict, monday: dt.date, items: list[dict]) -> list[dict]:
    """The events of one version's lessons (grid items) in the week starting ``monday``."""
    setup = week_setup_for(tt.school)
    out = []
    for it in items:
        if it.get("away"):
            continue
        day = monday + dt.timedelta(days=it["day"])
        if (tt.effective_from and day < tt.effective_from) or day > tt.term.end_date:
            continue
        begin = setup.period_time(it["period"])[0]
        end = setup.period_time(it["period"] + it["length"] - 1)[1]
        who = it["klass"] if target["kind"] == "teacher" else it["teacher"]
        out.append(
            {
                "uid": f"tt{tt.pk}-e{it['id']}-{day:%Y%m%d}-{target['kind']}{target['id']}@zhixiao",
                "start": _stamp(day, begin),
                "end": _stamp(day, end),
                "summary": f"{it['subject']}（{who}）" + (f"［{it['badge']}］" if it["badge"] else ""),
                "location": it["room"] or (it["klass"] if target["kind"] == "teacher" else ""),
                "description": it["note"] or "",
            }
        )
    return out


def timetable_ics(user, *, today: dt.date) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Zhixiao//Timetable//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:" + _escape("我的课表"),
        "X-WR-TIMEZONE:Asia/Shanghai",
        *VTIMEZONE,
    ]
    for ev in timetable_events(user, today=today):
        lines += [
            "BEGIN:VEVENT",
            f"UID:{ev['uid']}",
            f"DTSTAMP:{now}",
            f"DTSTART;TZID=Asia/Shanghai:{ev['start']}",
            f"DTEND;TZID=Asia/Shanghai:{ev['end']}",
            "SUMMARY:" + _escape(ev["summary"]),
        ]
        if ev["location"]:
            lines.append("LOCATION:" + _escape(ev["location"]))
        if ev["description"]:
            lines.append("DESCRIPTION:" + _escape(ev["description"]))
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    out = []
    for line in lines:
        out.extend(_fold(line))
    return "\r\n".join(out) + "\r\n"
