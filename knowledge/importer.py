"""Excel import and export of the knowledge-point tree (one sheet, one row per node).

Columns: 学段, 学科, 章编码, 章名称, 节编码, 节名称, 知识点编码, 知识点名称, 说明, 教材版本, 前置知识点.
A row defines its deepest node (a point, else a section, else a chapter); the chapter (and section) cells of a
point row name its ancestors and must agree with the other rows. 说明, 教材版本 (codes or labels like
「人教版 七年级上册」, separated by 、; a full label the district does not have yet adds that edition) and
前置知识点 (codes separated by 、; another tree's point as 「初中数学:编码」) belong to the row's deepest node
and are authoritative: re-importing the same file changes nothing, an empty cell clears the list. Nodes are matched by code within their 学段 × 学科, so a re-import
updates names, places and links; nodes absent from the file are left as they are.

The import is atomic: any row error (unknown 学段/学科/教材版本/前置知识点, duplicate or conflicting codes,
missing names, a prerequisite loop) writes nothing and is reported with its row and column in Chinese. The file is
opened through the roster reader's safety checks (size cap, format by magic bytes, zip-bomb checks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat

from core.audit import audit_record
from core.models import Stage, Subject
from core.scope import can
from roster.importer.reader import (
    HEADER_SEARCH_ROWS,
    XLS_MAGIC,
    XLSX_MAGIC,
    ImportFileError,
    Table,
    check_upload,
    col_letter,
    detect_kind,
    open_first_sheet,
)
from roster.importer.report import build_report
from roster.importer.validate import RowError, text

from .models import KnowledgeNode, NodeKind, TextbookEdition
from .selectors import ordered_tree
from .services import cycle_message, prerequisite_path

HEADERS = [
    "学段",
    "学科",
    "章编码",
    "章名称",
    "节编码",
    "节名称",
    "知识点编码",
    "知识点名称",
    "说明",
    "教材版本",
    "前置知识点",
]
REQUIRED = ["学段", "学科", "章编码", "章名称"]
HEADER_ALIASES = {
    "章": "章名称",
    "章节编码": "章编码",
    "节": "节名称",
    "知识点": "知识点名称",
    "知识点名": "知识点名称",
    "描述": "说明",
    "备注": "说明",
    "教材": "教材版本",
    "版本": "教材版本",
    "前置": "前置知识点",
    "前置知识点编码": "前置知识点",
}
_PAREN = re.compile(r"[（(].*?[)）]")
_SPLIT = re.compile(r"[、,，;；\n]+")
_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._\-]{0,39}$")
STAGE_BY_LABEL = {str(s.label): s.value for s in Stage} | {s.value: s.value for s in Stage}
MAX_NAME = 100
# 「人教版七年级上册」「北师大版 八年级下册」「人教A版 必修第一册」「部编版 九年级全一册」
_EDITION = re.compile(
    r"^(?P<name>[^\s\d]{1,10}版)(?P<grade>[一二三四五六七八九]年级|高[一二三]|(?:选择性)?必修[^\s上下全]*)?"
    r"(?P<volume>上册|下册|全一册)?$"
)
PUBLISHERS = {
    "人教版": "人民教育出版社",
    "北师大版": "北京师范大学出版社",
    "统编版": "人民教育出版社",
    "苏教版": "江苏凤凰教育出版社",
}
KEEP_WIDTH = {"章名称", "节名称", "知识点名称", "说明"}
_WS = re.compile(r"[ \t\r\u3000]+")


def header_text(value) -> str:
    h = _PAREN.sub("", text(value)).replace(" ", "").replace("★", "").replace("*", "")
    return HEADER_ALIASES.get(h, h)


def _compact(s: str) -> str:
    return re.sub(r"\s+", "", s)


def open_sheet(data: bytes, filename: str) -> Table:
    """Open the upload safely and find the header row. Raises ImportFileError with a Chinese message."""
    check_upload(data)
    name = (filename or "").lower()
    if not data.startswith((XLSX_MAGIC, XLS_MAGIC)) and not name.endswith((".csv", ".xlsx", ".xls")):
        raise ImportFileError("只支持 Excel（.xlsx、.xls）或 CSV 文件。")
    kind = detect_kind(data, filename)
    o = open_first_sheet(data, kind)
    idx = None
    for i, row in enumerate(o.head[:HEADER_SEARCH_ROWS]):
        cells = {header_text(v) for v in row}
        if {"章编码", "学科"} <= cells:
            idx = i
            break
    if idx is None:
        raise ImportFileError(
            f"在前 {HEADER_SEARCH_ROWS} 行中没有找到表头（需要「学段」「学科」「章编码」「章名称」等列），"
            "请下载知识点导入模板。"
        )
    raw = list(o.head[idx])
    headers = [header_text(v) for v in raw]
    columns: dict[str, int] = {}
    for pos, h in enumerate(headers):
        if h in HEADERS:
            if h in columns:
                raise ImportFileError(
                    f"表头中「{h}」出现了两次（{col_letter(columns[h] + o.col_offset)} 列与 "
                    f"{col_letter(pos + o.col_offset)} 列），请删除多余的列。"
                )
            columns[h] = pos
    missing = [h for h in REQUIRED if h not in columns]
    if missing:
        raise ImportFileError("缺少必填列：" + "、".join(f"「{h}」" for h in missing) + "。请使用知识点导入模板。")
    table = Table(
        filename=filename,
        kind=kind,
        header_row=o.row_offset + idx + 1,
        headers=headers,
        raw_headers=raw,
        columns=columns,
        row_offset=o.row_offset,
        col_offset=o.col_offset,
        height=o.height,
        error_cells=o.error_cells,
        _sheet=o.sheet,
        _csv_rows=o.csv_rows,
    )
    unknown = [h for h in headers if h and h not in HEADERS]
    if unknown:
        table.warnings.append("以下列不在知识点模板中，已忽略：" + "、".join(f"「{h}」" for h in unknown))
    return table


@dataclass
class Spec:
    """One node as the file describes it."""

    tree: tuple[str, int]  # (stage, subject id)
    code: str
    kind: str
    name: str
    parent_code: str | None
    row: int  # the row that first names it
    seq: int  # first appearance, for sibling order
    defined_row: int | None = None  # the row where it is the deepest node
    description: str | None = None
    editions: list[TextbookEdition] | None = None
    prereq_refs: list[tuple[tuple[str, int], str]] | None = None  # [(tree, code)]


@dataclass
class ImportResult:
    filename: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    links: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    table: Table | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> dict:
        return {
            "filename": self.filename,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "links": self.links,
            "errors": len(self.errors),
        }

    def report(self) -> bytes:
        """The uploaded sheet with the bad cells marked (the roster importer's error report)."""
        return build_report(self.table, self.errors) if self.table is not None else b""


class _Parser:
    def __init__(self, district, table: Table, result: ImportResult):
        self.district = district
        self.table = table
        self.result = result
        self.subjects = {}
        for s in Subject.objects.filter(district=district):
            self.subjects[s.name] = s
            self.subjects[s.code] = s
        self.subject_names = {s.pk: s.name for s in self.subjects.values()}
        self.editions: dict[tuple[tuple[str, int], str], TextbookEdition] = {}
        for e in TextbookEdition.objects.filter(district=district):
            tree = (e.stage, e.subject_id)
            for key in (e.code, _compact(e.label), _compact(f"{e.name}{e.grade_label}{e.volume}")):
                self.editions[(tree, key)] = e
        self.specs: dict[tuple[tuple[str, int], str], Spec] = {}
        self.new_editions: list[TextbookEdition] = []

    def err(self, row: int, column: str, message: str) -> None:
        col = HEADERS.index(column) if column in HEADERS else -1
        self.result.errors.append(RowError(row, col, column, message))

    def cell(self, values: list, header: str) -> str:
        """A cell as text. Names and 说明 keep their full-width punctuation (（一）, ：); codes, 学段, 学科 and the
        list cells are NFKC-normalised (full-width letters and digits become ASCII)."""
        pos = self.table.columns.get(header)
        if pos is None or pos >= len(values):
            return ""
        if header in KEEP_WIDTH:
            value = values[pos]
            if isinstance(value, str):
                return _WS.sub(" ", value).strip()
        return text(values[pos])

    def tree_of(self, token: str, row: int, column: str) -> tuple[str, int] | None:
        """「初中数学」→ (junior, 数学 id)."""
        for label, stage in STAGE_BY_LABEL.items():
            if token.startswith(label):
                subject = self.subjects.get(token[len(label) :])
                if subject is not None:
                    return (stage, subject.pk)
        self.err(row, column, f"「{token}」不是“学段+学科”（如 初中数学）")
        return None

    def node(self, tree, code, name, kind, parent_code, row, code_col, name_col) -> Spec | None:
        if not _CODE.match(code):
            self.err(row, code_col, f"编码「{code}」只能由字母、数字、点、下划线、连字符组成，最长 40 个字符")
            return None
        if not name:
            self.err(row, name_col, f"编码「{code}」缺少名称")
            return None
        if len(name) > MAX_NAME:
            self.err(row, name_col, f"名称过长（{len(name)} 个字，最多 {MAX_NAME} 个字）")
            return None
        key = (tree, code)
        spec = self.specs.get(key)
        if spec is None:
            spec = Spec(tree, code, kind, name, parent_code, row, len(self.specs))
            self.specs[key] = spec
            return spec
        kind_label = NodeKind(kind).label
        if spec.kind != kind:
            self.err(
                row, code_col, f"编码「{code}」在第 {spec.row} 行是{NodeKind(spec.kind).label}，这里又用作{kind_label}"
            )
            return None
        if spec.name != name:
            self.err(row, name_col, f"{kind_label}「{code}」在第 {spec.row} 行名为「{spec.name}」，这里为「{name}」")
            return None
        if spec.parent_code != parent_code:
            self.err(
                row,
                code_col,
                f"{kind_label}「{code}」在第 {spec.row} 行属于「{spec.parent_code}」，这里属于「{parent_code}」",
            )
            return None
        return spec

    def parse(self) -> None:
        for row, values in self.table.data_rows():
            self.result.rows += 1
            stage_raw = self.cell(values, "学段")
            stage = STAGE_BY_LABEL.get(stage_raw)
            if stage is None:
                self.err(
                    row, "学段", f"「{stage_raw}」不是学段，应为 小学、初中 或 高中" if stage_raw else "学段不能为空"
                )
            subject_raw = self.cell(values, "学科")
            subject = self.subjects.get(subject_raw)
            if subject is None:
                self.err(
                    row, "学科", f"本区县没有学科「{subject_raw}」，请检查学科名称" if subject_raw else "学科不能为空"
                )
            if stage is None or subject is None:
                continue
            if stage not in subject.stages.split(","):
                self.err(row, "学科", f"学科「{subject.name}」不开设于{Stage(stage).label}")
                continue
            tree = (stage, subject.pk)
            ch_code, ch_name = self.cell(values, "章编码"), self.cell(values, "章名称")
            se_code, se_name = self.cell(values, "节编码"), self.cell(values, "节名称")
            pt_code, pt_name = self.cell(values, "知识点编码"), self.cell(values, "知识点名称")
            if not ch_code:
                self.err(row, "章编码", "章编码不能为空")
                continue
            chapter = self.node(tree, ch_code, ch_name, NodeKind.CHAPTER, None, row, "章编码", "章名称")
            if chapter is None:
                continue
            deepest = chapter
            if se_code or se_name:
                if not se_code:
                    self.err(row, "节编码", f"节「{se_name}」缺少编码")
                    continue
                section = self.node(tree, se_code, se_name, NodeKind.SECTION, ch_code, row, "节编码", "节名称")
                if section is None:
                    continue
                deepest = section
            if pt_code or pt_name:
                if not pt_code:
                    self.err(row, "知识点编码", f"知识点「{pt_name}」缺少编码")
                    continue
                point = self.node(tree, pt_code, pt_name, NodeKind.POINT, deepest.code, row, "知识点编码", "知识点名称")
                if point is None:
                    continue
                deepest = point
            if deepest.defined_row is not None:
                what = NodeKind(deepest.kind).label
                code_col = {"chapter": "章编码", "section": "节编码", "point": "知识点编码"}[deepest.kind]
                self.err(row, code_col, f"{what}编码「{deepest.code}」与第 {deepest.defined_row} 行重复")
                continue
            deepest.defined_row = row
            if "说明" in self.table.columns:
                deepest.description = self.cell(values, "说明")
            if "教材版本" in self.table.columns:
                deepest.editions = self.parse_editions(tree, row, self.cell(values, "教材版本"))
            if "前置知识点" in self.table.columns:
                deepest.prereq_refs = self.parse_prereqs(tree, row, self.cell(values, "前置知识点"))

    def parse_editions(self, tree, row: int, raw: str) -> list[TextbookEdition]:
        out = []
        for token in [t.strip() for t in _SPLIT.split(raw) if t.strip()]:
            edition = self.editions.get((tree, token)) or self.editions.get((tree, _compact(token)))
            if edition is None:
                edition = self.new_edition(tree, token)
            if edition is None:
                self.err(
                    row,
                    "教材版本",
                    f"本学段本学科没有教材版本「{token}」：请先在“教材版本”页面添加，或写成“人教版 七年级上册”"
                    "这样的完整名称（导入时自动添加）",
                )
            elif edition not in out:
                out.append(edition)
        return out

    def new_edition(self, tree, token: str) -> TextbookEdition | None:
        """A full label such as 「人教版 七年级上册」 that the district does not have yet: a new edition (saved with
        the import). Codes and other spellings must name an existing edition."""
        m = _EDITION.match(_compact(token))
        if m is None:
            return None
        stage, subject_id = tree
        name, grade, volume = m.group("name"), m.group("grade") or "", m.group("volume") or ""
        code = f"{name}-{grade}{volume}".strip("-")[:40]
        taken = {e.code for e in self.editions.values()} | {e.code for e in self.new_editions}
        base, n = code, 2
        while code in taken:
            code, n = f"{base[:36]}-{n}", n + 1
        edition = TextbookEdition(
            district=self.district,
            stage=stage,
            subject_id=subject_id,
            name=name,
            grade_label=grade,
            volume=volume,
            code=code,
            publisher=PUBLISHERS.get(name, ""),
        )
        self.new_editions.append(edition)
        self.editions[(tree, _compact(token))] = edition
        self.editions[(tree, _compact(edition.label))] = edition
        return edition

    def parse_prereqs(self, tree, row: int, raw: str) -> list:
        refs = []
        for token in [t.strip() for t in _SPLIT.split(raw) if t.strip()]:
            token = token.replace("：", ":")
            ref_tree = tree
            if ":" in token:
                prefix, token = (p.strip() for p in token.split(":", 1))
                ref_tree = self.tree_of(prefix, row, "前置知识点")
                if ref_tree is None:
                    continue
            refs.append(((ref_tree, token), row))
        return refs


def _tree_label(tree) -> str:
    stage, subject_id = tree
    subject = Subject.objects.filter(pk=subject_id).values_list("name", flat=True).first()
    return f"{Stage(stage).label}{subject}"


@transaction.atomic
def import_tree(*, district, actor, data: bytes, filename: str, dry_run: bool = False) -> ImportResult:
    """Validate the file completely, then (unless there are errors or ``dry_run``) write it in one transaction.
    ``actor`` None is a system import (the CLI without --user). Raises ImportFileError for unusable files and
    PermissionDenied when the actor may not edit the district's tree."""
    if actor is not None and not can(actor, "add", KnowledgeNode(district=district)):
        raise PermissionDenied("只有区县管理员和教研员可以导入知识点")
    table = open_sheet(data, filename)
    result = ImportResult(filename=filename, table=table, warnings=list(table.warnings))
    parser = _Parser(district, table, result)
    parser.parse()
    specs = parser.specs
    if result.rows == 0 and not result.errors:
        result.errors.append(RowError(table.header_row, -1, "", "表头以下没有数据"))
    trees = {s.tree for s in specs.values()}
    # existing nodes of the trees in the file, and of trees named by cross-tree prerequisites
    ref_trees = {ref[0][0] for s in specs.values() for ref in (s.prereq_refs or [])}
    existing: dict[tuple[tuple[str, int], str], KnowledgeNode] = {}
    for stage, subject_id in trees | ref_trees:
        for n in KnowledgeNode.objects.filter(district=district, stage=stage, subject_id=subject_id):
            existing[((stage, subject_id), n.code)] = n

    # resolve prerequisites (file or database), keyed by node key
    prereq_keys: dict[tuple, list[tuple]] = {}
    for key, spec in specs.items():
        if spec.prereq_refs is None:
            continue
        keys = []
        for ref_key, row in spec.prereq_refs:
            tree_prefix = "" if ref_key[0] == spec.tree else f"{_tree_label(ref_key[0])}:"
            if ref_key == key:
                parser.err(row, "前置知识点", f"「{spec.code}」不能是自己的前置知识点")
            elif ref_key not in specs and ref_key not in existing:
                parser.err(row, "前置知识点", f"找不到编码为「{tree_prefix}{ref_key[1]}」的知识点")
            elif ref_key in existing and existing[ref_key].is_archived and ref_key not in specs:
                parser.err(row, "前置知识点", f"知识点「{tree_prefix}{ref_key[1]}」已归档，不能作为前置知识点")
            elif ref_key not in keys:
                keys.append(ref_key)
        prereq_keys[key] = keys

    # loop check over the links after the import: the database's links minus the replaced ones, plus the file's
    if not result.errors:
        Through = KnowledgeNode.prerequisites.through
        id_of = {k: n.pk for k, n in existing.items()}
        temp = -1
        for k in specs:
            if k not in id_of:
                id_of[k] = temp
                temp -= 1
        label_of = {v: f"「{k[1]} {specs[k].name if k in specs else existing[k].name}」" for k, v in id_of.items()}
        replaced = {id_of[k] for k in prereq_keys if id_of[k] > 0}
        edges: dict[int, set[int]] = {}
        for dep, pre in Through.objects.filter(from_knowledgenode__district=district).values_list(
            "from_knowledgenode_id", "to_knowledgenode_id"
        ):
            if dep not in replaced:
                edges.setdefault(dep, set()).add(pre)
        new_edges = [
            (key, id_of[key], id_of[pre_key])
            for key in sorted(prereq_keys, key=lambda k: specs[k].defined_row or 0)
            for pre_key in prereq_keys[key]
        ]
        all_edges = {dep: set(pres) for dep, pres in edges.items()}
        for _key, dep, pre in new_edges:
            all_edges.setdefault(dep, set()).add(pre)
        tangled = _nodes_on_or_after_cycles(all_edges)
        if tangled:
            # Only links among these nodes can close a loop: add the others at once, then these one by one (in
            # row order) with a walk each, so the row that closes a loop is the one reported.
            later = []
            for key, dep, pre in new_edges:
                if dep in tangled and pre in tangled:
                    later.append((key, dep, pre))
                else:
                    edges.setdefault(dep, set()).add(pre)
            wanted = set(edges) | {p for ps in edges.values() for p in ps} | {d for _k, d, _p in later}
            wanted |= {p for _k, _d, p in later}
            for n in KnowledgeNode.objects.filter(pk__in=wanted - set(label_of)):
                label_of[n.pk] = f"「{n.code} {n.name}」"
            for key, dep, pre in later:
                chain = prerequisite_path(pre, dep, edges)
                if chain is not None:
                    parser.err(
                        specs[key].defined_row,
                        "前置知识点",
                        cycle_message(label_of[dep], label_of[pre], [label_of[i] for i in chain]),
                    )
                    continue
                edges.setdefault(dep, set()).add(pre)
    result.errors.sort()
    if parser.new_editions:
        result.warnings.append(
            "将新建教材版本：" + "、".join(f"{e.label}（编码 {e.code}）" for e in parser.new_editions)
        )
    if result.errors or dry_run:
        _count(result, specs, existing, prereq_keys)
        return result
    _write(district, actor, result, specs, existing, prereq_keys, parser.new_editions)
    return result


def _nodes_on_or_after_cycles(edges: dict[int, set[int]]) -> set[int]:
    """Kahn's algorithm over "dependant → prerequisite" edges: the nodes left once every node without pending
    prerequisites has been peeled off lie on a cycle or depend on one. Empty: the graph is acyclic. O(V + E)."""
    pending: dict[int, int] = {}
    dependants: dict[int, list[int]] = {}
    for dep, pres in edges.items():
        pending[dep] = pending.get(dep, 0) + len(pres)
        for pre in pres:
            pending.setdefault(pre, 0)
            dependants.setdefault(pre, []).append(dep)
    ready = [n for n, k in pending.items() if k == 0]
    while ready:
        n = ready.pop()
        for d in dependants.get(n, ()):
            pending[d] -= 1
            if pending[d] == 0:
                ready.append(d)
    return {n for n, k in pending.items() if k > 0}


def _count(result, specs, existing, prereq_keys) -> None:
    result.created = sum(1 for k in specs if k not in existing)
    result.updated = len(specs) - result.created
    result.links = sum(len(v) for v in prereq_keys.values())


def _write(
    district, actor, result: ImportResult, specs: dict, existing: dict, prereq_keys: dict, new_editions: list
) -> None:
    Through = KnowledgeNode.prerequisites.through
    EditionThrough = KnowledgeNode.editions.through
    # sibling order follows the file (first appearance); nodes only in the database keep theirs
    order_of: dict[tuple, int] = {}
    counters: dict[tuple, int] = {}
    for key, spec in sorted(specs.items(), key=lambda kv: kv[1].seq):
        slot = (spec.tree, spec.parent_code)
        counters[slot] = counters.get(slot, 0) + 1
        order_of[key] = counters[slot]

    def level(spec: Spec) -> int:
        return 0 if spec.parent_code is None else 1 + level(specs[(spec.tree, spec.parent_code)])

    # new nodes level by level (parents first), so each is inserted with its parent, order and depth; its path
    # (which includes its own id) is then set with one UPDATE per parent
    new_nodes: list[KnowledgeNode] = []
    by_pk = {n.pk: n for n in existing.values()}
    by_level: dict[int, list] = {}
    for key, spec in specs.items():
        if key not in existing:
            by_level.setdefault(level(spec), []).append((key, spec))
    for depth in sorted(by_level):
        batch = []
        for key, spec in by_level[depth]:
            parent = existing[(spec.tree, spec.parent_code)] if spec.parent_code else None
            node = KnowledgeNode(
                district=district,
                stage=spec.tree[0],
                subject_id=spec.tree[1],
                parent_id=parent.pk if parent else None,
                kind=spec.kind,
                code=spec.code,
                name=spec.name,
                description=spec.description or "",
                order=order_of[key],
                depth=parent.depth + 1 if parent else 0,
            )
            batch.append(node)
            existing[key] = node
        KnowledgeNode.objects.bulk_create(batch, batch_size=1000)
        new_nodes += batch
        by_pk.update((n.pk, n) for n in batch)
        parents: dict[int | None, list[KnowledgeNode]] = {}
        for n in batch:
            parents.setdefault(n.parent_id, []).append(n)
        for parent_id, kids in parents.items():
            prefix = by_pk[parent_id].path if parent_id else ""
            KnowledgeNode.objects.filter(pk__in=[k.pk for k in kids]).update(
                path=Concat(Value(prefix), Cast("id", CharField()), Value("/"), output_field=CharField())
            )
            for k in kids:
                k.path = f"{prefix}{k.pk}/"
    created_ids = {n.pk for n in new_nodes}
    # nodes that were already there: only the rows that change are written
    changed = []
    for key, spec in specs.items():
        node = existing[key]
        if node.pk in created_ids:
            continue
        parent = existing[(spec.tree, spec.parent_code)] if spec.parent_code else None
        before = (node.name, node.kind, node.parent_id, node.order, node.description, node.archived_at)
        node.name, node.kind = spec.name, spec.kind
        node.parent_id = parent.pk if parent else None
        node.order = order_of[key]
        if spec.description is not None:
            node.description = spec.description
        node.archived_at = None  # a node named in the file is active again
        if before != (node.name, node.kind, node.parent_id, node.order, node.description, node.archived_at):
            changed.append(node)
    KnowledgeNode.objects.bulk_update(changed, ["name", "kind", "parent", "order", "description", "archived_at"])
    # paths and depths of every tree touched (moved nodes and their subtrees); only wrong rows are written
    for stage, subject_id in {s.tree for s in specs.values()}:
        nodes = list(
            KnowledgeNode.objects.filter(district=district, stage=stage, subject_id=subject_id).only(
                "id", "parent_id", "path", "depth", "order", "code"
            )
        )
        by_id = {n.pk: n for n in nodes}
        fixed = []
        for n in ordered_tree(nodes):  # parents come before their children
            parent = by_id.get(n.parent_id)
            path = f"{parent.path if parent else ''}{n.pk}/"
            depth = parent.depth + 1 if parent else 0
            if (n.path, n.depth) != (path, depth):
                n.path, n.depth = path, depth
                fixed.append(n)
        KnowledgeNode.objects.bulk_update(fixed, ["path", "depth"], batch_size=500)
    # editions and prerequisites of the rows that list them (authoritative)
    for edition in new_editions:
        edition.full_clean()
        edition.save()
        audit_record(actor=actor, action="textbookedition.create", obj=edition, changes={"code": [None, edition.code]})
    link_changes = 0
    edition_nodes = {existing[k].pk: spec.editions for k, spec in specs.items() if spec.editions is not None}
    if edition_nodes:
        old = set(
            EditionThrough.objects.filter(knowledgenode_id__in=edition_nodes).values_list(
                "knowledgenode_id", "textbookedition_id"
            )
        )
        new = {(nid, e.pk) for nid, eds in edition_nodes.items() for e in eds}
        if old != new:
            EditionThrough.objects.filter(knowledgenode_id__in=edition_nodes).delete()
            EditionThrough.objects.bulk_create(
                [EditionThrough(knowledgenode_id=a, textbookedition_id=b) for a, b in sorted(new)]
            )
            link_changes += len(old ^ new)
            for a, _b in old ^ new:
                if a not in created_ids:
                    changed.append(KnowledgeNode(pk=a))
    prereq_nodes = {existing[k].pk: [existing[p].pk for p in pres] for k, pres in prereq_keys.items()}
    if prereq_nodes:
        old = set(
            Through.objects.filter(from_knowledgenode_id__in=prereq_nodes).values_list(
                "from_knowledgenode_id", "to_knowledgenode_id"
            )
        )
        new = {(dep, pre) for dep, pres in prereq_nodes.items() for pre in pres}
        if old != new:
            Through.objects.filter(from_knowledgenode_id__in=prereq_nodes).delete()
            Through.objects.bulk_create(
                [Through(from_knowledgenode_id=a, to_knowledgenode_id=b) for a, b in sorted(new)]
            )
            link_changes += len(old ^ new)
            for a, _b in old ^ new:
                if a not in created_ids:
                    changed.append(KnowledgeNode(pk=a))
    result.created = len(new_nodes)
    result.updated = len({n.pk for n in changed} - created_ids)
    result.unchanged = len(specs) - result.created - result.updated
    result.links = sum(len(v) for v in prereq_nodes.values())
    audit_record(
        actor=actor,
        action="knowledgenode.import",
        district_id=district.pk,
        object_type="knowledge.knowledgenode",
        object_repr=f"知识点导入 {result.filename}",
        changes={
            "file": [None, result.filename],
            "rows": [None, result.rows],
            "created": [None, result.created],
            "updated": [None, result.updated],
            "link_changes": [None, link_changes],
        },
    )


# --- export ---------------------------------------------------------------------------------------------------


def export_rows(nodes: list[KnowledgeNode]) -> list[list]:
    """Rows in the import format for ``nodes`` (one tree, in tree order; ancestors must be among them)."""
    by_id = {n.pk: n for n in nodes}
    ids = list(by_id)
    Through = KnowledgeNode.prerequisites.through
    prereqs: dict[int, list[KnowledgeNode]] = {}
    pre_rows = Through.objects.filter(from_knowledgenode_id__in=ids).select_related(
        "to_knowledgenode", "to_knowledgenode__subject"
    )
    for link in pre_rows.order_by("to_knowledgenode__code"):
        prereqs.setdefault(link.from_knowledgenode_id, []).append(link.to_knowledgenode)
    editions: dict[int, list[str]] = {}
    for nid, code in (
        KnowledgeNode.editions.through.objects.filter(knowledgenode_id__in=ids)
        .order_by("textbookedition__order", "textbookedition__code")
        .values_list("knowledgenode_id", "textbookedition__code")
    ):
        editions.setdefault(nid, []).append(code)
    rows = []
    for n in nodes:
        chain = [by_id[i] for i in n.ancestor_ids if i in by_id] + [n]
        chapter = next((a for a in chain if a.kind == NodeKind.CHAPTER), None)
        section = next((a for a in chain if a.kind == NodeKind.SECTION), None)
        point = n if n.kind == NodeKind.POINT else None
        pres = []
        for p in prereqs.get(n.pk, []):
            same = (p.stage, p.subject_id) == (n.stage, n.subject_id)
            pres.append(p.code if same else f"{Stage(p.stage).label}{p.subject.name}:{p.code}")
        rows.append(
            [
                str(Stage(n.stage).label),
                n.subject.name,
                chapter.code if chapter else "",
                chapter.name if chapter else "",
                section.code if section else "",
                section.name if section else "",
                point.code if point else "",
                point.name if point else "",
                n.description,
                "、".join(editions.get(n.pk, [])),
                "、".join(pres),
            ]
        )
    return rows


TEMPLATE_EXAMPLE = [
    ["初中", "数学", "M7A-1", "有理数", "", "", "", "", "七年级上册第一章", "RJ-M7A", ""],
    ["初中", "数学", "M7A-1", "有理数", "M7A-1-1", "正数和负数", "", "", "", "RJ-M7A", ""],
    ["初中", "数学", "M7A-1", "有理数", "M7A-1-1", "正数和负数", "M7A-1-1-1", "正数和负数的概念", "", "RJ-M7A", ""],
    [
        "初中",
        "数学",
        "M7A-1",
        "有理数",
        "M7A-1-2",
        "有理数",
        "M7A-1-2-3",
        "相反数",
        "只有符号不同的两个数",
        "RJ-M7A",
        "M7A-1-1-1",
    ],
]

TEMPLATE_NOTES = [
    "每行描述一个节点：填了知识点就是知识点行，只填章、节就是节行，只填章就是章行。",
    "编码在同一学段、同一学科内唯一；再次导入按编码更新名称、位置和关系，不会重复创建。",
    "学段填 小学、初中 或 高中；学科填本区县学科表中的名称，如 数学。",
    "教材版本填版本编码，或“人教版 七年级上册”这样的完整名称（本区县还没有时导入时自动添加），多个用顿号（、）分隔。",
    "前置知识点填编码，多个用顿号（、）分隔；其他学科的知识点写作“初中数学:编码”。不能形成循环。",
    "说明、教材版本、前置知识点以文件为准：留空表示清空该节点的这一项。",
]


def template_bytes() -> bytes:
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "知识点"
    ws.append(HEADERS)
    for c in ws[1]:
        c.font = Font(bold=True)
    for row in TEMPLATE_EXAMPLE:
        ws.append(row)
    for col, width in zip("ABCDEFGHIJK", [6, 6, 12, 18, 12, 18, 14, 22, 24, 14, 22], strict=True):
        ws.column_dimensions[col].width = width
    notes = wb.create_sheet("填写说明")
    notes.append(["填写说明（导入时只读取第一个工作表）"])
    notes["A1"].font = Font(bold=True)
    for line in TEMPLATE_NOTES:
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
