"""Demo data of the knowledge module (a seed_demo hook registered in KnowledgeConfig.ready): the textbook
editions and the 初中数学 / 初中语文 trees of ``knowledge.demo_data``, written through the Excel importer."""

from __future__ import annotations

import time


def knowledge_demo_seed(*, district, seed: int = 0, out=None, batch_size: int = 0) -> None:
    from core.models import Subject

    from .demo_data import EDITIONS, demo_workbook
    from .importer import import_tree
    from .models import TextbookEdition

    started = time.monotonic()
    subjects = {s.name: s for s in Subject.objects.filter(district=district)}
    for order, (code, stage, subject, name, publisher, grade, volume) in enumerate(EDITIONS, start=1):
        if subject not in subjects:
            continue
        TextbookEdition.objects.get_or_create(
            district=district,
            code=code,
            defaults={
                "stage": stage,
                "subject": subjects[subject],
                "name": name,
                "publisher": publisher,
                "grade_label": grade,
                "volume": volume,
                "order": order,
            },
        )
    result = import_tree(district=district, actor=None, data=demo_workbook(), filename="知识点示例.xlsx")
    if result.errors:  # the demo data is ours: an error here is a bug
        raise RuntimeError("知识点示例数据有误：" + "；".join(str(e) for e in result.errors[:5]))
    if out:
        out(f"知识点：{result.created} 个节点、{result.links} 条前置关系，用时 {time.monotonic() - started:.1f} 秒")
