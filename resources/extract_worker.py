"""Text extraction worker, run in a child process with a time limit and a memory cap (see extract.py).

Usage: python -I extract_worker.py <ext> <path> <max_pages> <max_chars>; prints the text (UTF-8) on stdout.
No Django here: the child starts fast and a malformed document can only take this process down.
"""

import sys


def pdf_text(path: str, max_pages: int, max_chars: int) -> str:
    from pypdf import PdfReader

    reader = PdfReader(path, strict=False)
    if reader.is_encrypted:
        # an encrypted PDF: try the empty user password (many "protected" teaching PDFs only restrict editing)
        try:
            if not reader.decrypt(""):
                return ""
        except Exception:
            return ""
    out, size = [], 0
    for i, page in enumerate(reader.pages):
        if i >= max_pages or size >= max_chars:
            break
        text = page.extract_text() or ""
        out.append(text)
        size += len(text)
    return "\n".join(out)


def docx_text(path: str, max_pages: int, max_chars: int) -> str:
    from docx import Document

    doc = Document(path)
    out, size = [], 0
    for para in doc.paragraphs:
        out.append(para.text)
        size += len(para.text)
        if size >= max_chars:
            break
    for table in doc.tables:
        if size >= max_chars:
            break
        for row in table.rows:
            for cell in row.cells:
                out.append(cell.text)
                size += len(cell.text)
    return "\n".join(out)


def pptx_text(path: str, max_pages: int, max_chars: int) -> str:
    from pptx import Presentation

    prs = Presentation(path)
    out, size = [], 0
    for i, slide in enumerate(prs.slides):
        if i >= max_pages or size >= max_chars:
            break
        for shape in slide.shapes:
            if shape.has_text_frame:
                text = shape.text_frame.text
                out.append(text)
                size += len(text)
    return "\n".join(out)


EXTRACTORS = {"pdf": pdf_text, "docx": docx_text, "pptx": pptx_text}


def main(argv: list[str]) -> int:
    ext, path, max_pages, max_chars = argv[1], argv[2], int(argv[3]), int(argv[4])
    fn = EXTRACTORS.get(ext)
    if fn is None:
        return 0
    text = fn(path, max_pages, max_chars)[:max_chars]
    sys.stdout.buffer.write(text.encode("utf-8", "replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
