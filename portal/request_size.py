"""Every request's size is checked before anything reads its body (issue 15): a request whose
Content-Length is over REQUEST_MAX_BYTES is answered 413 at once — the JSON error body under
/api/v1/, a Chinese page elsewhere — and its body is never read, parsed or stored. Django's own
DATA_UPLOAD_MAX_MEMORY_SIZE (fields without files) and DATA_UPLOAD_MAX_NUMBER_FILES still apply
to what passes. A request without Content-Length has no body for Django (WSGI reads at most
Content-Length bytes), so the header is the whole story."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext, gettext_noop

from portal.core.errors import ApplicationError, ErrorCode

TOO_LARGE = 413


class RequestError(ErrorCode):
    TOO_LARGE = "request_too_large", "请求内容过大，请缩小或减少上传的文件后重试"


# The page shows the message in the reader's language (its msgid, marked for makemessages).
TOO_LARGE_MSGID = gettext_noop("请求内容过大，请缩小或减少上传的文件后重试")


def content_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0  # Django reads no body for a Content-Length it cannot parse


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.REQUEST_MAX_BYTES
        if limit and content_length(request) > limit:
            return self.too_large(request, limit)
        return self.get_response(request)

    @staticmethod
    def too_large(request: HttpRequest, limit: int) -> HttpResponse:
        error = ApplicationError.of(TOO_LARGE, RequestError.TOO_LARGE)
        response: HttpResponse
        if request.path.startswith("/api/"):
            response = JsonResponse(
                error.as_dict(), status=TOO_LARGE, json_dumps_params={"ensure_ascii": False}
            )
        else:
            context = {"message": gettext(TOO_LARGE_MSGID), "limit_mb": limit // (1024 * 1024) or 1}
            response = render(request, "413.html", context, status=TOO_LARGE)
        return response
