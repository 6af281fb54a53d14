from django.http import HttpRequest, JsonResponse


def lockout_response(
    request: HttpRequest, credentials: dict | None = None, *args: object, **kwargs: object
) -> JsonResponse:
    from accounts.errors import AccountsError

    body = {
        "error": AccountsError.LOCKED_OUT.value,
        "message": AccountsError.LOCKED_OUT.message,
        "details": [],
    }
    return JsonResponse(body, status=429, headers={"Retry-After": "900"})
