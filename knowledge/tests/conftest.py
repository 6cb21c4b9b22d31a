"""Fixtures of the knowledge tests: the district's 教研员, a second district (镇海区's neighbour 北仑区) with its
own admin, researcher and teacher for the out-of-scope cases, and the demo trees imported into the world."""

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from openpyxl import Workbook

from core.models import Region, RoleGrant, School, StaffPost, Subject
from core.testing import make_person, make_user


@pytest.fixture
def researcher(world):
    user = make_user(make_person("钱教研", born=dt.date(1979, 1, 1)), "researcher1")
    RoleGrant.objects.create(user=user, role="researcher", district=world.district)
    return user


@pytest.fixture
def other(world):
    """北仑区: another district with an admin, a researcher and a teacher, and a tree of its own."""
    from core import services as core_services
    from knowledge import services

    o = SimpleNamespace()
    o.district = core_services.district_create(
        actor=None, region=Region.objects.get(code="330206"), name="北仑区教育局"
    )
    o.math = Subject.objects.get(district=o.district, name="数学")
    o.admin = make_user(make_person("孙区管", born=dt.date(1978, 1, 1)), "other_admin")
    RoleGrant.objects.create(user=o.admin, role="district_admin", district=o.district)
    o.researcher = make_user(make_person("吴教研", born=dt.date(1977, 1, 1)), "other_researcher")
    RoleGrant.objects.create(user=o.researcher, role="researcher", district=o.district)
    school = School.objects.create(district=o.district, code="3133000901", name="北仑区霞浦学校", school_type="junior")
    p = make_person("冯老师", born=dt.date(1990, 1, 1))
    StaffPost.objects.create(person=p, school=school, post="teacher", main_subject=o.math)
    o.teacher = make_user(p, "other_teacher")
    o.chapter = services.node_create(
        actor=o.admin, district=o.district, stage="junior", subject=o.math, kind="chapter", code="BL-1", name="北仑章"
    )
    o.point = services.node_create(
        actor=o.admin,
        district=o.district,
        stage="junior",
        subject=o.math,
        kind="point",
        code="BL-1-1",
        name="北仑知识点",
        parent=o.chapter,
    )
    return o


@pytest.fixture
def demo_tree(world):
    """The demo editions and trees (初中数学 人教版七上/七下, 初中语文) imported into the world's district."""
    from knowledge.demo import knowledge_demo_seed

    knowledge_demo_seed(district=world.district)
    return world


def node(world, code, subject="数学"):
    from knowledge.models import KnowledgeNode

    return KnowledgeNode.objects.get(district=world.district, subject__name=subject, code=code)


def xlsx(rows, headers=None) -> bytes:
    from knowledge.importer import HEADERS

    wb = Workbook()
    ws = wb.active
    ws.append(headers or HEADERS)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
