from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone

EXTENSIONS = {
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}


def htmx_reload(*, status: int = 204) -> HttpResponse:
    """The answer to an htmx poll whose job has finished: htmx reloads the whole page (HX-Refresh)."""
    response = HttpResponse(status=status)
    response["HX-Refresh"] = "true"
    return response


def attachment_response(content: bytes, filename: str, content_type: str, *, stamp: bool = True) -> HttpResponse:
    """A file download with a UTF-8 (Chinese) file name, optionally stamped with the current time."""
    response = HttpResponse(content, content_type=content_type)
    suffix = timezone.localtime().strftime("-%Y%m%d-%H%M") if stamp else ""
    name = f"{filename}{suffix}{EXTENSIONS.get(content_type, '')}"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
