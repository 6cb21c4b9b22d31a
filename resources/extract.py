"""Bounded text extraction from uploaded documents (pdf, docx, pptx) for the full-text index.

Documents come from users: a malformed, encrypted, truncated or zip-bomb file must never take the web process
down or hang it. Extraction therefore runs in a child process with a wall-clock timeout and an address-space
cap (``resource.setrlimit``), reads at most ``EXTRACT_MAX_PAGES`` pages and ``EXTRACT_MAX_CHARS`` characters,
and OOXML packages are checked for bomb-like compression first. Any failure is logged and the item keeps its
metadata only (``ExtractResult.status`` says why).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from . import limits
from .filetypes import ooxml_is_safe

log = logging.getLogger(__name__)

WORKER = Path(__file__).with_name("extract_worker.py")
EXTRACTABLE = {"pdf", "docx", "pptx"}


@dataclass(frozen=True)
class ExtractResult:
    text: str
    status: str  # ok | none (type has no text) | empty | refused (bomb) | timeout | failed


def _limit_memory():  # pragma: no cover (runs in the child)
    import resource

    cap = limits.EXTRACT_MEMORY_BYTES
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def extract_text(fp: BinaryIO, ext: str) -> ExtractResult:
    """Text of the document in ``fp`` (type ``ext`` as detected), bounded in time, memory and size."""
    if ext not in EXTRACTABLE:
        return ExtractResult("", "none")
    if ext in ("docx", "pptx") and not ooxml_is_safe(
        fp, max_total=limits.OOXML_MAX_UNCOMPRESSED, max_ratio=limits.OOXML_MAX_RATIO
    ):
        log.warning("resources: %s package refused for text extraction (zip-bomb-like compression)", ext)
        return ExtractResult("", "refused")
    fp.seek(0)
    with tempfile.NamedTemporaryFile(suffix=f".{ext}", delete=False) as tmp:
        while chunk := fp.read(1024 * 1024):
            tmp.write(chunk)
        path = tmp.name
    fp.seek(0)
    try:
        proc = subprocess.run(
            [
                sys.executable,
                "-I",
                str(WORKER),
                ext,
                path,
                str(limits.EXTRACT_MAX_PAGES),
                str(limits.EXTRACT_MAX_CHARS),
            ],
            capture_output=True,
            timeout=limits.EXTRACT_TIMEOUT_SECONDS,
            preexec_fn=_limit_memory if os.name == "posix" else None,
            check=False,
        )
    except subprocess.TimeoutExpired:
        log.warning("resources: text extraction of a %s timed out", ext)
        return ExtractResult("", "timeout")
    finally:
        os.unlink(path)
    if proc.returncode != 0:
        last = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        log.warning("resources: text extraction of a %s failed: %s", ext, last[0][:200])
        return ExtractResult("", "failed")
    text = proc.stdout.decode("utf-8", "replace")[: limits.EXTRACT_MAX_CHARS]
    return ExtractResult(text, "ok" if text.strip() else "empty")
