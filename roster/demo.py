"""Demo 学籍 data: a MoE profile and a 新生入学 record for every demo student (registered as a seed_demo hook)."""

import datetime as dt
import random

from core.demo.names import ROADS, STREETS
from core.models import Student

from .models import ChangeKind, ChangeStatus, RosterChange, StudentProfile


def _mobile(rng: random.Random) -> str:
    return rng.choice(["138", "139", "150", "158", "186", "189", "135", "137"]) + f"{rng.randrange(10**8):08d}"


def roster_demo_seed(*, district, seed: int, out, batch_size: int = 2000) -> None:
    rng = random.Random(seed * 7919 + 17)
    students = (
        Student.objects.filter(district=district, profile__isnull=True)
        .select_related("person", "klass__grade")
        .order_by("id")
    )
    profiles, changes, total = [], [], 0
    for st in students.iterator(chunk_size=batch_size):
        grade = st.klass.grade
        area = (st.person.id_number or "330211")[:6]
        address = f"浙江省宁波市镇海区{rng.choice(STREETS)}{rng.choice(ROADS)}{rng.randint(1, 399)}号"
        migrant = rng.random() < 0.12
        disability = "0" if rng.random() > 0.005 else rng.choice("145")
        profiles.append(
            StudentProfile(
                student=st,
                birthplace=area + "000000",
                native_place="浙江宁波" if area.startswith("3302") else "其他省市",
                hukou_location=area + "000000",
                hukou_type="1" if migrant or rng.random() < 0.2 else "2",
                health="10" if rng.random() < 0.95 else "20",
                entry_month=f"{grade.entry_year}09",
                entry_mode="21" if grade.stage == "senior" else "11",
                study_mode="2" if grade.stage == "senior" and rng.random() < 0.4 else "1",
                source="1",
                current_address=address,
                mailing_address=address,
                home_address=address,
                contact_phone=_mobile(rng),
                postal_code="315200",
                only_child=rng.random() < 0.45,
                preschool=rng.random() < 0.97,
                left_behind="0" if rng.random() > 0.03 else rng.choice("12"),
                migrant_child=migrant,
                disability=disability,
                with_class_study="0" if disability == "0" else "4",
                commute=rng.choice("1134"),
            )
        )
        changes.append(
            RosterChange(
                student=st,
                kind=ChangeKind.ENROL,
                status=ChangeStatus.DONE,
                to_school_id=st.school_id,
                to_class_id=st.klass_id,
                reason="新生入学（演示数据）",
                effective_on=st.enrolled_on or dt.date(grade.entry_year, 9, 1),
                timeline=[
                    {"at": f"{grade.entry_year}-09-01T08:00:00+08:00", "by": "", "action": "enrol", "note": "新生入学"}
                ],
            )
        )
        if len(profiles) >= batch_size:
            StudentProfile.objects.bulk_create(profiles)
            RosterChange.objects.bulk_create(changes)
            total += len(profiles)
            profiles, changes = [], []
    StudentProfile.objects.bulk_create(profiles)
    RosterChange.objects.bulk_create(changes)
    total += len(profiles)
    out(f"学籍信息 {total:,} 条，新生入学记录 {total:,} 条")
