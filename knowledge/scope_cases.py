"""Scope-matrix cases for the knowledge pages (see core/scope_matrix.py). The sample tree (初中数学: one edition,
a chapter, a section and two points, the second needing the first) is made on first use in the world's
district. Viewing: a teacher or student of the district yes, a parent no (no grant on the tree). Editing: the
district admin yes, a school admin no."""

from core.scope_matrix import Case, register_case

CHAPTER = "矩阵章"
SECTION = "矩阵节"
POINT = "矩阵知识点"
POINT2 = "矩阵后续知识点"
EDITION = "矩阵版"


def sample_tree(w) -> dict:
    from . import services
    from .models import KnowledgeNode, TextbookEdition

    district = w.district
    edition = TextbookEdition.objects.filter(district=district, code="MX-ED").first()
    if edition is None:
        actor = w.district_admin
        edition = services.edition_create(
            actor=actor,
            district=district,
            stage="junior",
            subject=w.math,
            name=EDITION,
            code="MX-ED",
            grade_label="七年级",
            volume="上册",
        )
        common = {"actor": actor, "district": district, "stage": "junior", "subject": w.math}
        chapter = services.node_create(**common, kind="chapter", code="MX-1", name=CHAPTER, editions=[edition])
        section = services.node_create(**common, kind="section", code="MX-1-1", name=SECTION, parent=chapter)
        point = services.node_create(**common, kind="point", code="MX-1-1-1", name=POINT, parent=section)
        point2 = services.node_create(**common, kind="point", code="MX-1-1-2", name=POINT2, parent=section)
        services.prerequisite_add(actor=actor, node=point2, prerequisite=point)
    nodes = {n.code: n for n in KnowledgeNode.objects.filter(district=district, code__startswith="MX-")}
    return {
        "edition": edition,
        "chapter": nodes["MX-1"],
        "section": nodes["MX-1-1"],
        "point": nodes["MX-1-1-1"],
        "point2": nodes["MX-1-1-2"],
    }


def _pk(key):
    return lambda w: [sample_tree(w)[key].pk]


def _tree_query(w):
    sample_tree(w)
    return {"stage": "junior", "subject": w.math.pk}


def _made(w):
    sample_tree(w)
    return []


reg = register_case
# browsing: a teacher / student of the district sees the tree, a parent does not
reg(Case("knowledge:index", _made, "teacher_a", "parent1", kind="list", marker=lambda w: CHAPTER, query=_tree_query))
reg(
    Case(
        "knowledge:children",
        _made,
        "teacher_b",
        "parent1",
        marker=lambda w: SECTION,
        query=lambda w: {**_tree_query(w), "parent": sample_tree(w)["chapter"].pk},
    )
)
reg(Case("knowledge:node_detail", _pk("point"), "student_user_a1", "parent1", marker=lambda w: POINT2))
reg(Case("knowledge:edition_list", _made, "teacher_a", "parent2", kind="list", marker=lambda w: EDITION))
reg(Case("knowledge:export", _made, "teacher_a", "parent1", kind="download", query=_tree_query))
# editing: the district admin yes, a school admin no
reg(
    Case(
        "knowledge:node_create",
        _made,
        "district_admin",
        "school_admin_a",
        marker=lambda w: "新建节点",
        query=_tree_query,
    )
)
reg(Case("knowledge:node_edit", _pk("point"), "district_admin", "school_admin_a", marker=lambda w: "编辑 MX-1-1-1"))
reg(
    Case(
        "knowledge:node_step",
        _pk("point2"),
        "district_admin",
        "school_admin_a",
        method="post",
        data=lambda w: {"direction": "up"},
    )
)
reg(Case("knowledge:node_remove", _pk("point2"), "district_admin", "school_admin_a", method="post"))
reg(Case("knowledge:node_restore", _pk("point2"), "district_admin", "school_admin_a", method="post"))
reg(
    Case(
        "knowledge:prerequisite_add",
        _pk("section"),
        "district_admin",
        "school_admin_a",
        method="post",
        data=lambda w: {"prerequisite": sample_tree(w)["point"].pk},
    )
)
reg(
    Case(
        "knowledge:prerequisite_remove",
        lambda w: [sample_tree(w)["point2"].pk, sample_tree(w)["point"].pk],
        "district_admin",
        "school_admin_a",
        method="post",
    )
)
reg(Case("knowledge:edition_create", _made, "district_admin", "school_admin_a", marker=lambda w: "添加教材版本"))
reg(Case("knowledge:edition_edit", _pk("edition"), "district_admin", "school_admin_a", marker=lambda w: "MX-ED"))
reg(Case("knowledge:edition_archive", _pk("edition"), "district_admin", "school_admin_a", method="post"))
reg(Case("knowledge:import", _made, "district_admin", "school_admin_a", marker=lambda w: "从 Excel 导入知识点"))
reg(Case("knowledge:template", _made, "district_admin", "school_admin_a", kind="download"))


def _report_token(w):
    from .views import report_save

    return [report_save(user=w.district_admin, report=b"PK-report")]


reg(Case("knowledge:import_report", _report_token, "district_admin", "school_admin_a", kind="download"))
