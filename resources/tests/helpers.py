"""Small helpers of the resource tests: files in memory and an upload through the service."""

from __future__ import annotations

import io
import zipfile

from resources import services
from resources.samples import docx_bytes, minimal_pdf, pptx_bytes


class Named(io.BytesIO):
    def __init__(self, data: bytes, name: str):
        super().__init__(data)
        self.name = name


def upload(w, user, data: bytes, filename: str = "文件.pdf", **kw):
    defaults = {
        "title": "有理数的加法课件",
        "kind": "courseware",
        "stage": "junior",
        "subject": w.math,
        "grade_label": "七年级",
    }
    defaults.update(kw)
    return services.resource_upload(actor=user, file=Named(data, filename), filename=filename, **defaults)


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["题号", "分值"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def plain_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("素材/说明.txt", "课堂素材")
    return buf.getvalue()


def zip_bomb_docx() -> bytes:
    """A real docx whose document.xml inflates to 120 MB of spaces (a zip bomb dressed as Word)."""
    real = docx_bytes("炸弹", ["正文"])
    src = zipfile.ZipFile(io.BytesIO(real))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            if info.filename == "word/document.xml":
                continue
            zf.writestr(info, src.read(info.filename))
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            chunk = b" " * (1024 * 1024)
            for _ in range(120):
                fh.write(chunk)
    return buf.getvalue()


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(minimal_pdf("secret lesson"))).pages:
        writer.add_page(page)
    writer.encrypt(user_password="mima2026", owner_password="owner2026")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def cfb_bytes(stream_name: str) -> bytes:
    """A minimal OLE compound file (MS-CFB, 512-byte sectors) whose directory holds the root entry and one stream
    called ``stream_name`` — enough for type detection (WordDocument → doc, …)."""
    import struct

    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 44, 1)  # one FAT sector
    struct.pack_into("<I", header, 48, 1)  # directory starts at sector 1
    struct.pack_into("<I", header, 56, 4096)
    struct.pack_into("<I", header, 60, 0xFFFFFFFE)
    struct.pack_into("<I", header, 68, 0xFFFFFFFE)
    for i in range(109):
        struct.pack_into("<I", header, 76 + 4 * i, 0xFFFFFFFF)
    struct.pack_into("<I", header, 76, 0)  # FAT is sector 0
    fat = bytearray(b"\xff" * 512)
    struct.pack_into("<II", fat, 0, 0xFFFFFFFD, 0xFFFFFFFE)

    def entry(name: str, kind: int) -> bytes:
        e = bytearray(128)
        raw = name.encode("utf-16-le") + b"\x00\x00"
        e[0 : len(raw)] = raw
        struct.pack_into("<HBB", e, 64, len(raw), kind, 1)
        struct.pack_into("<III", e, 68, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
        return bytes(e)

    directory = entry("Root Entry", 5) + entry(stream_name, 2) + b"\x00" * 256
    return bytes(header) + bytes(fat) + directory


__all__ = ["Named", "docx_bytes", "minimal_pdf", "pptx_bytes", "upload"]
