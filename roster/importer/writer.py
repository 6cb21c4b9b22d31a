"""Write validated roster rows: Person, Student, StudentProfile, User and a RosterChange per new enrolment, in
one transaction, with bulk_create / bulk_update in chunks (memory stays flat on 100k-row files), and one
summary audit row.

Columns present in the file are authoritative (an empty optional cell clears the field); columns absent from
the file leave existing values alone. A row whose values equal the database is "unchanged" and not written.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.utils import timezone

from core.audit import audit_record
from core.bulk import bulk_insert, bulk_insert_rows
from core.models import Person, Student, User
from roster.models import ChangeKind, ChangeStatus, RosterChange, StudentProfile

from .validate import Context, Parsed

WRITE_CHUNK = 1000
PERSON_FIELDS = ("name", "gender", "birth_date", "ethnicity", "id_type", "id_number")


def _profile_empty() -> dict:
    out = {}
    for f in StudentProfile._meta.concrete_fields:
        if f.has_default():
            out[f.name] = f.get_default()
        elif f.null:
            out[f.name] = None
        else:
            out[f.name] = ""
    return out


PROFILE_EMPTY = _profile_empty()


def month_start(month: str | None) -> dt.date | None:
    return dt.date(int(month[:4]), int(month[4:]), 1) if month else None


def row_fields(ctx: Context, p: Parsed) -> tuple[dict, dict, dict]:
    """(person, student, profile) field values of a row; only for columns present in the file."""
    person, student, profile = {}, {}, {}
    for target, value in zip(ctx.targets, p.vals, strict=True):
        model, _, name = target.partition(".")
        if model == "person":
            person[name] = value if value is not None else ("" if name != "birth_date" else None)
        elif model == "profile":
            profile[name] = value if value is not None else PROFILE_EMPTY[name]
            if name == "entry_month":
                student["enrolled_on"] = month_start(value)
        elif target == "klass":
            student["klass_id"] = value
        elif target == "student.class_no":
            student["class_no"] = value
        elif target == "student.student_no" and value:
            student["student_no"] = value
    return person, student, profile


def _same(a, b) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return a is not None and b is not None and Decimal(a) == Decimal(b)
    return a == b


def compare(ctx: Context, p: Parsed, person: Person, student: Student, profile: StudentProfile | None) -> list[str]:
    """Names of the fields the row would change ("profile" when the student has none yet)."""
    pf, sf, prf = row_fields(ctx, p)
    changed = [f"person.{k}" for k, v in pf.items() if not _same(getattr(person, k), v)]
    for k, v in sf.items():
        current = student.student_no.upper() if k == "student_no" else getattr(student, k)
        if not _same(current, v):
            changed.append(f"student.{k}")
    if profile is None:
        changed.append("profile")
    else:
        changed += [f"profile.{k}" for k, v in prf.items() if not _same(getattr(profile, k), v)]
    return changed


def _unusable_password() -> str:
    """What make_password(None) stores (no login by password), without its slow per-character random.choice."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


class Writer:
    def __init__(self, ctx: Context, *, actor, filename: str, source: str = "web"):
        self.ctx = ctx
        self.school = ctx.school
        self.actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
        self.filename = filename
        self.source = source
        self.now = timezone.now()
        self.counts = {"created": 0, "updated": 0, "unchanged": 0, "reenrolled": 0, "users": 0}
        self._temp_nos: set[str] = set()

    # --- student numbers ---------------------------------------------------------------------------------

    def _student_no(self, person_fields: dict) -> str | None:
        """学籍号 for a new student without one in the file: G + 身份证号, else None (a J number is assigned)."""
        if person_fields.get("id_type") == "1" and person_fields.get("id_number"):
            return "G" + person_fields["id_number"]
        return None

    def _temp_numbers(self, births: list[dt.date | None]) -> list[str]:
        """J 字头学籍号 for students without a usable ID number (roster-standards §3): district code + birth
        date + 3-digit sequence + check character, unique in the file and the database. The J check rule is
        uncertain (see roster.services.J_RULE_NOTE); the number is shared with ``student_number_assign``."""
        from roster.services import j_number

        area = self.school.district.region.code
        result = []
        for born in births:
            born = born or dt.date(2000, 1, 1)
            for start in range(1, 1000, 50):
                cands = [j_number(area, born, seq) for seq in range(start, min(start + 50, 1000))]
                cands = [n for n in cands if n not in self._temp_nos]
                taken = set(
                    Student.objects.filter(
                        student_no_index__in=[Student.student_no_lookup(n) for n in cands]
                    ).values_list("student_no_index", flat=True)
                )
                free = [n for n in cands if Student.student_no_lookup(n) not in taken]
                if free:
                    self._temp_nos.add(free[0])
                    result.append(free[0])
                    break
            else:  # pragma: no cover
                raise RuntimeError("该出生日期的 J 字头学籍号顺序号已用完")
        return result

    # --- users ---------------------------------------------------------------------------------------------

    def _users(self, person_ids: list[int]) -> None:
        if not person_ids:
            return
        have = set(User.objects.filter(person_id__in=person_ids).values_list("person_id", flat=True))
        need = [pk for pk in person_ids if pk not in have]
        names = {pk: f"s{pk:07d}" for pk in need}
        taken = set(User.objects.filter(username__in=names.values()).values_list("username", flat=True))
        for pk, name in names.items():
            if name in taken:
                n = 2
                while f"{name}-{n}" in taken or User.objects.filter(username=f"{name}-{n}").exists():
                    n += 1
                names[pk] = f"{name}-{n}"
        bulk_insert_rows(
            User, [{"username": names[pk], "person_id": pk, "password": _unusable_password()} for pk in need]
        )
        self.counts["users"] += len(need)

    # --- the writes ------------------------------------------------------------------------------------------

    def _change_row(self, student_id: int, enrolled_on, klass_id, *, from_school_id=None, from_class_id=None) -> dict:
        """A done 新生入学 (or re-enrolment) record, as a row for bulk_insert_rows."""
        by = self.actor.username if self.actor else "系统导入"
        actor_id = self.actor.pk if self.actor else None
        return {
            "student_id": student_id,
            "kind": ChangeKind.ENROL,
            "status": ChangeStatus.DONE,
            "from_school_id": from_school_id,
            "to_school_id": self.school.pk,
            "from_class_id": from_class_id,
            "to_class_id": klass_id,
            "reason": f"学籍导入（{self.filename}）"[:200],
            "effective_on": enrolled_on or timezone.localdate(),
            "requested_by_id": actor_id,
            "decided_by_id": actor_id,
            "decided_at": self.now,
            "timeline": [{"at": self.now.isoformat(), "by": by, "status": ChangeStatus.DONE, "note": "学籍导入"}],
        }

    def _create(self, rows: list[Parsed]) -> None:
        """New students: a new Person (create) or an existing one without a student record (link). Rows go in as
        plain dicts (no model instances: that is most of the cost on a 100,000-row file)."""
        ctx = self.ctx
        fields = [row_fields(ctx, p) for p in rows]
        link_ids = [p.person_id for p in rows if p.action == "link"]
        linked = Person.objects.in_bulk(link_ids) if link_ids else {}
        touched = []
        new_persons, new_at = [], []
        for i, (p, (pf, _sf, _prf)) in enumerate(zip(rows, fields, strict=True)):
            if p.action == "create":
                new_persons.append({**pf, **Person.index_values(pf.get("id_type", ""), pf.get("id_number"))})
                new_at.append(i)
            else:
                person = linked[p.person_id]
                if any(not _same(getattr(person, k), v) for k, v in pf.items()):
                    for k, v in pf.items():
                        setattr(person, k, v)
                    person.refresh_indexes()
                    person.updated_at = self.now
                    touched.append(person)
        for i, pk in zip(new_at, bulk_insert_rows(Person, new_persons), strict=True):
            rows[i].person_id = pk
        if touched:
            Person.objects.bulk_update(touched, [*PERSON_FIELDS, "id_number_index", "updated_at"], batch_size=500)
        students = []
        need_temp = []
        for i, (p, (pf, sf, _prf)) in enumerate(zip(rows, fields, strict=True)):
            no = (sf.pop("student_no", "") or self._student_no(pf) or "").strip().upper()
            if not no:
                need_temp.append(i)
            students.append(
                {
                    **sf,
                    "person_id": p.person_id,
                    "district_id": self.school.district_id,
                    "school_id": self.school.pk,
                    "status": "enrolled",
                    "student_no": no,
                }
            )
        if need_temp:
            births = [fields[i][0].get("birth_date") for i in need_temp]
            for i, no in zip(need_temp, self._temp_numbers(births), strict=True):
                students[i]["student_no"] = no
        for st in students:
            st["student_no_index"] = Student.student_no_lookup(st["student_no"])
        student_ids = bulk_insert_rows(Student, students)
        bulk_insert_rows(
            StudentProfile,
            [{**prf, "student_id": sid} for sid, (_pf, _sf, prf) in zip(student_ids, fields, strict=True)],
        )
        self._users([p.person_id for p in rows])
        bulk_insert_rows(
            RosterChange,
            [
                self._change_row(sid, st.get("enrolled_on"), st.get("klass_id"))
                for sid, st in zip(student_ids, students, strict=True)
            ],
        )
        self.counts["created"] += len(rows)

    def _update(self, rows: list[Parsed]) -> None:
        """Existing students of this school (update) or who left another school (reenrol)."""
        ctx = self.ctx
        persons = Person.objects.in_bulk([p.person_id for p in rows])
        students = Student.objects.in_bulk([p.student_id for p in rows])
        profiles = {
            pr.student_id: pr for pr in StudentProfile.objects.filter(student_id__in=[p.student_id for p in rows])
        }
        p_fields, s_fields, pr_fields = set(), set(), set()
        new_profiles, changes = [], []
        for p in rows:
            pf, sf, prf = row_fields(ctx, p)
            person, st = persons[p.person_id], students[p.student_id]
            for k, v in pf.items():
                setattr(person, k, v)
            person.refresh_indexes()
            person.updated_at = self.now
            p_fields |= set(pf)
            if p.action == "reenrol":
                changes.append((st, sf.get("klass_id"), st.school_id, st.klass_id))
                st.school_id = self.school.pk
                st.district_id = self.school.district_id
                st.status = "enrolled"
                st.archived_at = None
                s_fields |= {"school", "district", "status", "archived_at"}
                if "student_no" not in sf and not st.student_no:
                    sf["student_no"] = self._student_no(pf) or self._temp_numbers([pf.get("birth_date")])[0]
            for k, v in sf.items():
                setattr(st, k, v)
            st.refresh_indexes()
            st.updated_at = self.now
            s_fields |= set(sf)
            profile = profiles.get(st.pk)
            if profile is None:
                new_profiles.append(StudentProfile(student=st, **prf))
            else:
                for k, v in prf.items():
                    setattr(profile, k, v)
                profile.updated_at = self.now
                pr_fields |= set(prf)
        if p_fields:
            Person.objects.bulk_update(
                list(persons.values()), [*sorted(p_fields), "id_number_index", "updated_at"], batch_size=500
            )
        if "student_no" in s_fields:
            s_fields.add("student_no_index")
        Student.objects.bulk_update(list(students.values()), [*sorted(s_fields), "updated_at"], batch_size=500)
        if pr_fields:
            StudentProfile.objects.bulk_update(
                list(profiles.values()), [*sorted(pr_fields), "updated_at"], batch_size=500
            )
        bulk_insert(StudentProfile, new_profiles)
        if changes:
            bulk_insert_rows(
                RosterChange,
                [
                    self._change_row(st.pk, st.enrolled_on, k, from_school_id=fs, from_class_id=fc)
                    for st, k, fs, fc in changes
                ],
            )
            self._users([st.person_id for st, *_ in changes])
        for p in rows:
            self.counts["reenrolled" if p.action == "reenrol" else "updated"] += 1

    def write(self, rows: list[Parsed], progress=None) -> dict:
        todo = [p for p in rows if p.action != "unchanged"]
        self.counts["unchanged"] = len(rows) - len(todo)
        if not todo:
            return self.counts
        with transaction.atomic():
            done = 0
            for start in range(0, len(todo), WRITE_CHUNK):
                chunk = todo[start : start + WRITE_CHUNK]
                new = [p for p in chunk if p.action in ("create", "link")]
                old = [p for p in chunk if p.action in ("update", "reenrol")]
                if new:
                    self._create(new)
                if old:
                    self._update(old)
                done += len(chunk)
                if progress is not None:
                    progress(done)
            c = self.counts
            audit_record(
                actor=self.actor,
                action="roster.import",
                object_type="core.school",
                object_id=str(self.school.pk),
                object_repr=f"{self.school.name} 学籍导入（{self.filename}）" + ("" if self.actor else "，系统导入"),
                changes={
                    "filename": self.filename,
                    "source": self.source,
                    "actor": self.actor.username if self.actor else "系统导入",
                    "rows": len(rows),
                    "created": c["created"],
                    "updated": c["updated"],
                    "reenrolled": c["reenrolled"],
                    "unchanged": c["unchanged"],
                    "users": c["users"],
                },
                district_id=self.school.district_id,
                school_id=self.school.pk,
            )
        return self.counts
