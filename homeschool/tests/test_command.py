import io

import pytest
from django.core.management import CommandError, call_command

from homeschool.models import InvitationCode

pytestmark = pytest.mark.django_db


def test_codes_for_every_class_the_user_manages(world):
    out = io.StringIO()
    call_command("homeschool_codes", school=world.school_a.code, user="sadmin_a", days=14, stdout=out)
    codes = InvitationCode.objects.filter(klass__school=world.school_a)
    assert {c.klass_id for c in codes} == {world.class_a1.pk, world.class_a2.pk}
    assert all(c.code in out.getvalue() for c in codes)
    assert "生成邀请码 2 个，跳过 0 个班" in out.getvalue()
    out = io.StringIO()
    call_command("homeschool_codes", school=world.school_a.code, user="head_a1", stdout=out)
    assert "生成邀请码 1 个，跳过 1 个班" in out.getvalue()
    with pytest.raises(CommandError, match="不存在"):
        call_command("homeschool_codes", school=world.school_a.code, user="nobody")
    with pytest.raises(CommandError, match="有效天数"):
        call_command("homeschool_codes", school=world.school_a.code, user="sadmin_a", days=0)
