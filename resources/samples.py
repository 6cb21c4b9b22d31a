"""Small real files for the demo and the tests: PDF (hand-written, with Chinese text in the standard CJK font),
docx (python-docx's package with our own document part), pptx (python-pptx), PNG (Pillow)."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

_DOCX_TEMPLATE: dict[str, bytes] = {}
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _pdf(objects: list[bytes]) -> bytes:
    """Serialise numbered objects (1 = the catalog) with a correct xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def minimal_pdf(text: str = "Zhixiao resource") -> bytes:
    """A valid one-page PDF showing ``text`` (ASCII, Helvetica)."""
    safe = text.encode("ascii", "replace").decode().replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 18 Tf 72 720 Td ({safe}) Tj ET".encode()
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def pdf_bytes(title: str, paragraphs: list[str]) -> bytes:
    """A one-page A4 PDF with Chinese text in the standard Adobe CJK font STSong-Light (UniGB-UCS2-H encoding,
    not embedded: viewers substitute a Song face), so the file is a few KB and its text is extractable."""
    lines, y = [], 780
    for i, text in enumerate([title, *paragraphs]):
        size = 16 if i == 0 else 11
        lines.append(f"BT /F1 {size} Tf 40 {y} Td <{text.encode('utf-16-be').hex().upper()}> Tj ET")
        y -= 28 if i == 0 else 20
    stream = "\n".join(lines).encode()
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
            b"/DescendantFonts [6 0 R] >>",
            b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 7 0 R >>",
            b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
            b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
        ]
    )


def docx_bytes(title: str, paragraphs: list[str]) -> bytes:
    """A Word document: python-docx's default package (built once per process) with our own document part."""
    if "base" not in _DOCX_TEMPLATE:
        from docx import Document

        buf = io.BytesIO()
        Document().save(buf)
        _DOCX_TEMPLATE["base"] = buf.getvalue()
    paras = [f'<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>{escape(title)}</w:t></w:r></w:p>']
    paras += [f'<w:p><w:r><w:t xml:space="preserve">{escape(p)}</w:t></w:r></w:p>' for p in paragraphs]
    xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{_W}"><w:body>'
        f"{''.join(paras)}<w:sectPr/></w:body></w:document>"
    )
    src = zipfile.ZipFile(io.BytesIO(_DOCX_TEMPLATE["base"]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            zf.writestr(
                info.filename, xml.encode() if info.filename == "word/document.xml" else src.read(info.filename)
            )
    return out.getvalue()


def pptx_bytes(title: str, bullets: list[str]) -> bytes:
    from pptx import Presentation

    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[1])
    slide.shapes.title.text = title
    frame = slide.placeholders[1].text_frame
    frame.text = bullets[0] if bullets else ""
    for b in bullets[1:]:
        frame.add_paragraph().text = b
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def png_bytes(seed: int = 0, size: tuple[int, int] = (160, 90)) -> bytes:
    """A small gradient PNG, different for each ``seed`` (so duplicate detection does not merge them)."""
    from PIL import Image

    w, h = size
    img = Image.new("RGB", size)
    px = img.load()
    for x in range(w):
        for y in range(h):
            px[x, y] = ((x * 3 + seed * 37) % 256, (y * 5 + seed * 11) % 256, (seed * 53) % 256)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
