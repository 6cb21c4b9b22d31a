"""Error responses of the API, all JSON ``{"detail": <中文说明>, "errors": {field: [..]}}``.

* django ``ValidationError`` (services, ``full_clean``) → 422 with the field errors
* ninja request validation (bad types, missing fields) → 422, messages translated to Chinese
* malformed JSON body → 400
* ``PermissionDenied`` → 403; not authenticated → 401; not found / not in scope → 404
"""

from __future__ import annotations

import json

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser


class BodyParseError(ValueError):
    """The request body is not valid JSON (raised by ``JSONParser``, reported as 400)."""


class JSONParser(Parser):
    def parse_body(self, request):
        try:
            return json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BodyParseError(str(exc)) from exc


class NotFound(Http404):
    """404 with a Chinese message; used for objects that do not exist *or* are outside the user's scope."""


def not_found(what: str = "对象") -> NotFound:
    return NotFound(f"{what}不存在或无权访问")


# pydantic error type → Chinese message
_PYDANTIC_MESSAGES = {
    "missing": "此项为必填项",
    "int_parsing": "必须是整数",
    "int_type": "必须是整数",
    "int_from_float": "必须是整数",
    "bool_parsing": "必须是布尔值（true/false）",
    "bool_type": "必须是布尔值（true/false）",
    "string_type": "必须是字符串",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "enum": "取值无效",
    "literal_error": "取值无效",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "model_type": "格式不正确",
    "dict_type": "必须是 JSON 对象",
    "model_attributes_type": "必须是 JSON 对象",
    "list_type": "必须是数组",
    "extra_forbidden": "不允许的字段",
}


def _pydantic_message(err: dict) -> str:
    kind = err.get("type", "")
    msg = _PYDANTIC_MESSAGES.get(kind)
    if msg is None:
        return str(err.get("msg", "格式不正确"))
    ctx = err.get("ctx") or {}
    if kind == "enum" and "expected" in ctx:
        choices = str(ctx["expected"]).replace(" or ", ", ").replace(", ", "、")
        return f"{msg}，可选值：{choices}"
    if kind in ("string_too_long", "string_too_short") and ("max_length" in ctx or "min_length" in ctx):
        limit = ctx.get("max_length", ctx.get("min_length"))
        return f"{msg}（{'最多' if kind == 'string_too_long' else '至少'} {limit} 个字符）"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = next(iter(ctx.values()), None)
        if bound is not None:
            word = {"greater_than_equal": "不能小于", "less_than_equal": "不能大于"}.get(kind, "超出范围")
            return f"{msg}（{word} {bound}）"
    return msg


_UNION_TAGS = {"int", "str", "float", "bool", "none", "list", "dict"}


def _is_union_tag(part: str) -> bool:
    # pydantic names the branch of a union in ``loc``: "int", "GuardianNew", "function-wrap[...]"
    return part in _UNION_TAGS or "[" in part or "-" in part or part[:1].isupper()


def _field_name(loc) -> str:
    # ("body", "payload", "code") → "code"; ("query", "limit") → "limit"; union branches are skipped
    parts = [str(p) for p in loc if not isinstance(p, int) and not _is_union_tag(str(p))]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in ("payload", "data", "filters"):
        parts = parts[1:]
    return ".".join(parts) or NON_FIELD_ERRORS


def validation_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
    return {NON_FIELD_ERRORS: [str(m) for m in exc.messages]}


def _detail(errors: dict[str, list[str]], fallback: str) -> str:
    seen: list[str] = []
    for msgs in errors.values():
        for m in msgs:
            if m not in seen:
                seen.append(m)
    return "；".join(seen) or fallback


def install_exception_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DjangoValidationError)
    def django_validation_error(request, exc):
        errors = validation_errors(exc)
        return api.create_response(request, {"detail": _detail(errors, "数据校验失败"), "errors": errors}, status=422)

    @api.exception_handler(NinjaValidationError)
    def request_validation_error(request, exc):
        errors: dict[str, list[str]] = {}
        for err in exc.errors:
            errors.setdefault(_field_name(err.get("loc", ())), []).append(_pydantic_message(err))
        detail = "请求参数有误：" + "；".join(f"{k} {'、'.join(v)}" for k, v in errors.items())
        return api.create_response(request, {"detail": detail, "errors": errors}, status=422)

    @api.exception_handler(PermissionDenied)
    def permission_denied(request, exc):
        return api.create_response(request, {"detail": str(exc) or "无权执行此操作"}, status=403)

    @api.exception_handler(Http404)
    def not_found_handler(request, exc):
        message = str(exc) if isinstance(exc, NotFound) and str(exc) else "对象不存在或无权访问"
        return api.create_response(request, {"detail": message}, status=404)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        message = exc.message if exc.message and exc.message != "Unauthorized" else "未登录或登录已过期"
        response = api.create_response(request, {"detail": message}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="zhixiao"'
        return response

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        if isinstance(exc.__cause__, BodyParseError):
            return api.create_response(request, {"detail": "请求体不是有效的 JSON"}, status=400)
        return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)
