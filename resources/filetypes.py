"""File type detection from the content, never from the name.

* PDF, images, MP3, MP4 by their signatures (the ``filetype`` library);
* OOXML (docx/pptx/xlsx) is a zip: told apart by the part names inside (``word/``, ``ppt/``, ``xl/``) and
  ``[Content_Types].xml``; any other zip is a plain 压缩包;
* legacy Office (doc/ppt/xls) is an OLE compound file (CFB): told apart by the names of its streams
  (``WordDocument``, ``PowerPoint Document``, ``Workbook``/``Book``), read from the CFB directory.

SVG, HTML, scripts and executables are not accepted types.
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

import filetype

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class FileType:
    ext: str  # pdf, docx, …
    mime: str
    label: str  # 中文说明
    preview: str  # "pdf" | "image" | "video" | "audio" | "office" | ""


TYPES = {
    "pdf": FileType("pdf", "application/pdf", "PDF 文档", "pdf"),
    "doc": FileType("doc", "application/msword", "Word 文档（doc）", "office"),
    "docx": FileType(
        "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word 文档", "office"
    ),
    "ppt": FileType("ppt", "application/vnd.ms-powerpoint", "PowerPoint 演示文稿（ppt）", "office"),
    "pptx": FileType(
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "PowerPoint 演示文稿",
        "office",
    ),
    "xls": FileType("xls", "application/vnd.ms-excel", "Excel 表格（xls）", "office"),
    "xlsx": FileType(
        "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel 表格", "office"
    ),
    "png": FileType("png", "image/png", "PNG 图片", "image"),
    "jpg": FileType("jpg", "image/jpeg", "JPEG 图片", "image"),
    "gif": FileType("gif", "image/gif", "GIF 图片", "image"),
    "webp": FileType("webp", "image/webp", "WebP 图片", "image"),
    "mp3": FileType("mp3", "audio/mpeg", "MP3 音频", "audio"),
    "mp4": FileType("mp4", "video/mp4", "MP4 视频", "video"),
    "zip": FileType("zip", "application/zip", "ZIP 压缩包", ""),
}

_FILETYPE_MAP = {
    "pdf": "pdf",
    "png": "png",
    "jpg": "jpg",
    "gif": "gif",
    "webp": "webp",
    "mp3": "mp3",
    "mp4": "mp4",
    "m4v": "mp4",
}


def detect(fp: BinaryIO) -> FileType | None:
    """The accepted type of the file's content, or None (not an accepted type). Leaves ``fp`` at 0."""
    fp.seek(0)
    head = fp.read(8192)
    fp.seek(0)
    if not head:
        return None
    if head.startswith(CFB_MAGIC):
        ext = _cfb_kind(fp)
        fp.seek(0)
        return TYPES.get(ext) if ext else None
    if head.startswith(b"PK\x03\x04"):
        ext = _zip_kind(fp)
        fp.seek(0)
        return TYPES.get(ext) if ext else None
    kind = filetype.guess(head)
    fp.seek(0)
    if kind is None:
        return None
    ext = _FILETYPE_MAP.get(kind.extension)
    if ext == "pdf" and head.lstrip()[:5] != b"%PDF-":
        return None
    return TYPES.get(ext) if ext else None


def _zip_kind(fp: BinaryIO) -> str | None:
    try:
        with zipfile.ZipFile(fp) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    has_types = "[Content_Types].xml" in names
    if has_types:
        if any(n.startswith("word/") for n in names):
            return "docx"
        if any(n.startswith("ppt/") for n in names):
            return "pptx"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
    return "zip"


def cfb_stream_names(fp: BinaryIO, *, max_entries: int = 4096) -> list[str]:
    """Names of the entries in an OLE compound file's directory (MS-CFB). Bounded: a malformed file with a
    cyclic or huge FAT chain yields what was read so far."""
    fp.seek(0)
    header = fp.read(512)
    if len(header) < 512 or not header.startswith(CFB_MAGIC):
        return []
    sector_shift = struct.unpack_from("<H", header, 30)[0]
    if sector_shift not in (9, 12):
        return []
    sector_size = 1 << sector_shift
    num_fat_sectors = struct.unpack_from("<I", header, 44)[0]
    first_dir = struct.unpack_from("<I", header, 48)[0]
    difat = list(struct.unpack_from("<109I", header, 76))[: min(num_fat_sectors, 109)]

    def read_sector(n: int) -> bytes:
        fp.seek((n + 1) * sector_size)
        return fp.read(sector_size)

    fat: list[int] = []
    for s in difat:
        data = read_sector(s)
        fat.extend(struct.unpack(f"<{len(data) // 4}I", data[: len(data) // 4 * 4]))
    names: list[str] = []
    sector, seen = first_dir, set()
    while sector < 0xFFFFFFFA and sector not in seen and len(names) < max_entries:
        seen.add(sector)
        data = read_sector(sector)
        if not data:
            break
        for off in range(0, len(data) - 127, 128):
            name_len = struct.unpack_from("<H", data, off + 64)[0]
            if 2 <= name_len <= 64:
                names.append(data[off : off + name_len - 2].decode("utf-16-le", "replace"))
        sector = fat[sector] if sector < len(fat) else 0xFFFFFFFE
    return names


def _cfb_kind(fp: BinaryIO) -> str | None:
    names = set(cfb_stream_names(fp))
    if "WordDocument" in names:
        return "doc"
    if "PowerPoint Document" in names:
        return "ppt"
    if "Workbook" in names or "Book" in names:
        return "xls"
    return None


def ooxml_is_safe(fp: BinaryIO, *, max_total: int, max_ratio: int) -> bool:
    """False for a zip whose declared uncompressed size or compression ratio marks it as a zip bomb."""
    try:
        with zipfile.ZipFile(fp) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False
    finally:
        fp.seek(0)
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    return total <= max_total and total / packed <= max_ratio
