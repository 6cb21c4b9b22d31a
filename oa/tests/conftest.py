import pytest


@pytest.fixture
def oaw(world, settings, tmp_path):
    """The test world with school A's 教务主任 / 副校长 and 工号 (``oa.testing.add_leaders``)."""
    from oa.testing import add_leaders

    settings.MEDIA_ROOT = str(tmp_path / "media")
    add_leaders(world)
    return world
