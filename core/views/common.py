from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect

from ..scope import can


def get_scoped(model, user, pk, action: str = "view", queryset=None):
    """Fetch one object through the user's scope; anything outside it is simply not found (404)."""
    qs = queryset if queryset is not None else model.objects.all()
    obj = qs.filter(pk=pk).filter(pk__in=model.objects.visible_to(user, "view").values("pk")).first()
    if obj is None:
        raise Http404("未找到")
    if action != "view" and not can(user, action, obj):
        raise PermissionDenied("无权执行此操作")
    return obj


def apply_service_errors(form, exc: ValidationError) -> None:
    """Attach a service's ValidationError to the form fields it names (or to the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def run_service(request, form, fn, success: str):
    """Call a service; on its ValidationError put the Chinese messages on the form and return None."""
    try:
        result = fn()
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return None
    messages.success(request, success)
    return result if result is not None else True


def htmx_redirect(request, url: str):
    """Redirect that also works for htmx requests (which would otherwise swap the target page in)."""
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)
