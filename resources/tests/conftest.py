import pytest


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded files of each test go to a temporary media root."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def kworld(world):
    """The test world plus a small 初中数学 knowledge tree and an edition."""
    return add_knowledge(world)


def add_knowledge(w):
    from knowledge.models import KnowledgeNode, NodeKind, TextbookEdition

    w.edition = TextbookEdition.objects.create(
        district=w.district,
        stage="junior",
        subject=w.math,
        name="人教版",
        grade_label="七年级",
        volume="上册",
        code="RJ-M7A",
    )

    def node(code, name, kind, parent=None):
        n = KnowledgeNode.objects.create(
            district=w.district, stage="junior", subject=w.math, parent=parent, kind=kind, code=code, name=name
        )
        n.path = (parent.path if parent else "") + f"{n.pk}/"
        n.depth = 0 if parent is None else parent.depth + 1
        n.save(update_fields=["path", "depth"])
        n.editions.add(w.edition)
        return n

    w.ch_rational = node("M7-1", "有理数", NodeKind.CHAPTER)
    w.kp_add = node("M7-1-1", "有理数的加法", NodeKind.POINT, w.ch_rational)
    w.kp_mul = node("M7-1-2", "有理数的乘法", NodeKind.POINT, w.ch_rational)
    w.ch_equation = node("M7-3", "一元一次方程", NodeKind.CHAPTER)
    w.kp_solve = node("M7-3-1", "解一元一次方程", NodeKind.POINT, w.ch_equation)
    w.kp_chinese = KnowledgeNode.objects.create(
        district=w.district, stage="junior", subject=w.chinese, kind=NodeKind.POINT, code="C7-1", name="记叙文阅读"
    )
    return w
