"""Shared pieces of the resource pages: fetching one resource through the user's scope, file responses."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse

from .. import limits
from ..filetypes import TYPES
from ..models import Resource
from ..selectors import resources_openable, resources_visible

INLINE_PREVIEWS = {"pdf", "image", "video", "audio"}
SMALL_FILE = 1024 * 1024  # served from memory; larger files are streamed


def get_resource(user, pk: int, *, openable: bool = True) -> Resource:
    """The resource if ``user`` may open it (visible, or pushed to them / their child), else 404."""
    qs = resources_openable(user) if openable else resources_visible(user)
    obj = qs.select_related("owner__person", "school", "subject", "edition", "chapter").filter(pk=pk).first()
    if obj is None:
        raise Http404("资源不存在或无权访问")
    return obj


def content_disposition(kind: str, filename: str) -> str:
    """RFC 6266/5987: an ASCII fallback plus the UTF-8 name; the name never carries a path or quotes."""
    ascii_name = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "._-" else "_" for ch in filename) or "file"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


def _range_response(fh, size: int, content_type: str, header: str):
    """206 Partial Content for one ``bytes=`` range (video/audio seeking); 416 when it lies outside the file;
    None when the header is not a single byte range (the whole file is sent)."""
    m = RANGE.match(header.strip())
    if m is None or (m.group(1) == "" and m.group(2) == ""):
        return None
    if m.group(1) == "":  # the last N bytes
        start, end = max(0, size - int(m.group(2))), size - 1
    else:
        start = int(m.group(1))
        end = min(int(m.group(2)) if m.group(2) else size - 1, size - 1)
    if start >= size or start > end:
        fh.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    fh.seek(start)
    length = end - start + 1

    def chunks():
        remaining = length
        with fh:
            while remaining > 0:
                data = fh.read(min(64 * 1024, remaining))
                if not data:
                    return
                remaining -= len(data)
                yield data

    response = StreamingHttpResponse(chunks(), status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(length)
    return response


def file_response(
    resource: Resource, *, inline: bool, name: str | None = None, mime: str | None = None, range_header: str = ""
):
    """Stream the stored file. Inline only for pdf/image/video/audio, always with ``sandbox`` CSP and nosniff;
    the content type is the one detected at upload, never guessed from a name. ``range_header`` (video and
    audio previews) answers a single byte range with 206, so players can seek."""
    name = name or resource.file.name
    try:
        fh = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("文件不存在") from exc
    ftype = TYPES.get(resource.file_type)
    inline = inline and ftype is not None and (ftype.preview in INLINE_PREVIEWS or mime == "application/pdf")
    content_type = mime or resource.mime or "application/octet-stream"
    ranged = (
        _range_response(fh, resource.size, content_type, range_header)
        if range_header and name == resource.file.name
        else None
    )
    if ranged is not None:
        response = ranged
    elif resource.size <= SMALL_FILE:
        with fh:
            response = HttpResponse(fh.read(), content_type=content_type)
    else:
        response = FileResponse(fh, content_type=content_type)
    filename = resource.original_name or f"resource.{resource.file_type}"
    if mime == "application/pdf" and not filename.endswith(".pdf"):
        filename = filename.rsplit(".", 1)[0] + ".pdf"
    response["Content-Disposition"] = content_disposition("inline" if inline else "attachment", filename)
    response["X-Content-Type-Options"] = "nosniff"
    if inline:
        response["Content-Security-Policy"] = (
            "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; frame-ancestors 'self'"
        )
        response["Cache-Control"] = "private, max-age=300"
        if ftype.preview in ("video", "audio"):
            response["Accept-Ranges"] = "bytes"
    else:
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def office_preview(resource: Resource) -> str | None:
    """Storage name of the PDF rendering of an office file, converting once with LibreOffice (cached on the
    resource); None when LibreOffice is not installed or the conversion fails or times out."""
    if resource.preview_pdf and default_storage.exists(resource.preview_pdf):
        return resource.preview_pdf
    soffice = soffice_path()
    if soffice is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"source.{resource.file_type}"
        with default_storage.open(resource.file.name, "rb") as fh, open(src, "wb") as out:
            shutil.copyfileobj(fh, out)
        try:
            subprocess.run(
                [soffice, "--headless", "--norestore", "--convert-to", "pdf", "--outdir", tmp, str(src)],
                capture_output=True,
                timeout=limits.CONVERT_TIMEOUT_SECONDS,
                check=False,
                env={"HOME": tmp, "PATH": "/usr/bin:/bin"},
            )
        except subprocess.TimeoutExpired:
            return None
        pdf = Path(tmp) / "source.pdf"
        if not pdf.exists():
            return None
        name = default_storage.save(
            f"resources/previews/{resource.file.name.rsplit('/', 1)[-1]}.pdf", ContentFile(pdf.read_bytes())
        )
    Resource.objects.filter(pk=resource.pk).update(preview_pdf=name)
    resource.preview_pdf = name
    return name
