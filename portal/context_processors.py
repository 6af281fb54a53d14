"""Display preferences every page needs: large-text mode (适老化) is a cookie the resident toggles."""

from django.http import HttpRequest

LARGE_TEXT_COOKIE = "large_text"


def display(request: HttpRequest) -> dict[str, bool]:
    return {"large_text": request.COOKIES.get(LARGE_TEXT_COOKIE) == "1"}
