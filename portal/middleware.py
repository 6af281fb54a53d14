"""The API speaks zh-hans whatever the client's Accept-Language (API.md section 1: `message` is
zh-hans text); pages follow the visitor's choice."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation


class ApiLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            translation.activate("zh-hans")
            request.LANGUAGE_CODE = "zh-hans"
        return self.get_response(request)
