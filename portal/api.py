"""The API's edges shared by every app: one error body for every 4xx (API.md section 1) and the
page shape of every list."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.core.errors import GENERAL_CODES, ApplicationError, Reason


class Pagination(PageNumberPagination):
    page_size = 100


def _flatten(detail: Any, field: str | None = None) -> list[Reason]:
    """DRF's nested validation detail -> a flat list of reasons, each with its field."""
    if isinstance(detail, dict):
        if {"message", "code"} <= detail.keys():
            return [Reason(str(detail["code"]), str(detail["message"]), field)]
        out: list[Reason] = []
        for key, value in detail.items():
            name = None if key == "non_field_errors" else (f"{field}.{key}" if field else str(key))
            out.extend(_flatten(value, name))
        return out
    if isinstance(detail, list):
        return [r for item in detail for r in _flatten(item, field)]
    return [Reason("invalid", str(detail), field)]


# The framework's own refusals, with a Chinese message each (API.md section 1: every message is
# Chinese, the code may be the framework's). DRF words some of them in English whatever the language
# (a JSON parse error carries the parser's English text).
FRAMEWORK_ERRORS: dict[type[exceptions.APIException], tuple[str, str]] = {
    exceptions.ParseError: ("parse_error", "请求内容不是有效的 JSON，请检查格式"),
    exceptions.UnsupportedMediaType: (
        "unsupported_media_type",
        "不支持的请求内容类型，请以 application/json 提交",
    ),
    exceptions.MethodNotAllowed: ("method_not_allowed", "该地址不支持此请求方法"),
    exceptions.NotAcceptable: ("not_acceptable", "无法以所要求的格式返回，请接受 application/json"),
}


def _to_application_error(exc: Exception) -> ApplicationError | None:
    if isinstance(exc, ApplicationError):
        return exc
    for kind, (code, message) in FRAMEWORK_ERRORS.items():
        if isinstance(exc, kind):
            return ApplicationError(exc.status_code, [Reason(code, message)], code=code, message=message)
    if isinstance(exc, exceptions.ValidationError):
        # One cause: its own code is the error; several: invalid_request with every one in details.
        return ApplicationError(status.HTTP_400_BAD_REQUEST, _flatten(exc.get_full_details()))
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        code, message = GENERAL_CODES[401]
        return ApplicationError(401, [], code=code, message=message)
    if isinstance(exc, exceptions.PermissionDenied | DjangoPermissionDenied):
        return ApplicationError(403, [])
    if isinstance(exc, exceptions.NotFound | Http404):
        return ApplicationError(404, [])
    if isinstance(exc, exceptions.Throttled):
        return ApplicationError(429, [])
    if isinstance(exc, exceptions.APIException):
        code = exc.default_code if isinstance(exc.default_code, str) else "error"
        return ApplicationError(exc.status_code, [], code=code, message=str(exc.detail))
    return None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    error = _to_application_error(exc)
    if error is None:
        return drf_exception_handler(exc, context)
    headers: dict[str, str] = {}
    wait = getattr(exc, "wait", None) if isinstance(exc, exceptions.Throttled) else None
    if wait is not None:
        headers["Retry-After"] = str(int(wait) + 1)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    return Response(error.as_dict(), status=error.status, headers=headers)


def error_response(error: ApplicationError) -> Response:
    return Response(error.as_dict(), status=error.status)


@csrf_exempt  # a bearer-token API, like every DRF view: the answer is the JSON 404, not the CSRF page
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any path under /api/v1/ that names no operation: the JSON error body, never the HTML page."""
    error = ApplicationError(status.HTTP_404_NOT_FOUND, [])
    return JsonResponse(error.as_dict(), status=error.status, json_dumps_params={"ensure_ascii": False})
