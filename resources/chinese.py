"""Chinese tokenisation for the full-text index (jieba), shared by indexing and querying.

The dictionary loads once per process (on first use); jieba's own logging is silenced. Documents are cut with
``cut_for_search`` (a long word also yields its shorter words: 有理数的加法 → 有理 有理数 加法), queries with the
precise mode, so every query word is also an index word.
"""

from __future__ import annotations

import logging
import re
import threading

_lock = threading.Lock()
_ready = False

# 的 了 和 … and punctuation carry no meaning for search
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "和",
        "与",
        "及",
        "或",
        "在",
        "是",
        "为",
        "对",
        "把",
        "被",
        "之",
        "以",
        "于",
        "等",
        "中",
        "上",
        "下",
        "一个",
        "这个",
        "这",
        "那",
        "我们",
        "你们",
        "他们",
        "及其",
        "其",
        "并",
        "也",
        "都",
        "就",
        "请",
        "有",
        "个",
        "份",
        "篇",
        "第",
        "章",
        "节",
        "课",
    ]
)
_WORD = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)


def _jieba():
    global _ready
    import jieba

    if not _ready:
        with _lock:
            if not _ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _ready = True
    return jieba


def _keep(token: str) -> bool:
    token = token.strip()
    return bool(token) and token not in STOPWORDS and bool(_WORD.search(token))


def index_tokens(text: str) -> list[str]:
    """Tokens of a document for the index (search mode: words and their sub-words), lower-cased."""
    if not text:
        return []
    return [t.strip().lower() for t in _jieba().cut_for_search(text) if _keep(t)]


def query_tokens(q: str) -> list[str]:
    """Distinct tokens of a user's query, in order (precise mode)."""
    seen: list[str] = []
    for t in _jieba().cut((q or "")[:100]):
        t = t.strip().lower()
        if _keep(t) and t not in seen:
            seen.append(t)
    return seen[:12]


def index_text(*parts: str) -> str:
    """The space-joined token string stored in ``Resource.search_text`` (FTS5 / tsvector read it)."""
    return " ".join(tok for part in parts if part for tok in index_tokens(part))
