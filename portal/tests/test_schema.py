"""The OpenAPI schema at /api/v1/schema/ is what hospital HIS, the e-card app and channel partners
build their clients from (API.md): every status an operation answers is in it, and an input the API
refuses is not described as valid."""

import re
import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

# A path parameter of each kind, filled with a value that names nothing stored.
_PATH_VALUES = {"uuid": lambda: str(uuid.uuid4()), None: lambda: "X00000000"}


@pytest.fixture
def schema(api: APIClient) -> dict[str, Any]:
    response = api.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]


def _url(path: str, op: dict[str, Any]) -> str:
    for parameter in op.get("parameters", []):
        if parameter["in"] == "path":
            value = _PATH_VALUES.get(parameter["schema"].get("format"), _PATH_VALUES[None])()
            path = path.replace("{" + parameter["name"] + "}", value)
    return path


def _call(api: APIClient, method: str, url: str, **kwargs: Any) -> int:
    return getattr(api, method)(url, **kwargs).status_code


def test_every_operation_documents_what_it_answers_a_caller_without_a_token(api, schema):
    answered = {}
    for path, method, op in _operations(schema):
        status = _call(api, method, _url(path, op), data={}, format="json")
        assert str(status) in op["responses"], f"{method.upper()} {path} answered {status}, undocumented"
        answered[f"{method.upper()} {path}"] = status
    assert answered["GET /api/v1/delegations/"] == 401  # the case a fuzzer found undocumented


def test_every_operation_documents_what_it_answers_a_wrong_token(api, schema):
    api.credentials(HTTP_AUTHORIZATION="Bearer " + "0" * 64)
    for path, method, op in _operations(schema):
        status = _call(api, method, _url(path, op), data={}, format="json")
        assert str(status) in op["responses"], f"{method.upper()} {path} answered {status}, undocumented"


def test_every_operation_with_a_body_documents_malformed_json_and_another_content_type(api, schema):
    bodies = [(path, method, op) for path, method, op in _operations(schema) if "requestBody" in op]
    assert len(bodies) > 10
    for path, method, op in bodies:
        url = _url(path, op)
        for status in (
            _call(api, method, url, data="{not json", content_type="application/json"),
            _call(api, method, url, data="x", content_type="text/plain"),
        ):
            assert str(status) in op["responses"], f"{method.upper()} {path} answered {status}, undocumented"


def test_every_paged_list_documents_a_page_that_does_not_exist(api, schema):
    from accounts.tests.factories import ResidentFactory

    api.force_authenticate(ResidentFactory())
    paged = [
        (path, op)
        for path, method, op in _operations(schema)
        if method == "get" and any(p["name"] == "page" for p in op.get("parameters", []))
    ]
    assert {path for path, _ in paged} == {"/api/v1/account/", "/api/v1/bindings/"}
    for path, op in paged:
        for page in ("0", "99999", "x"):
            status = api.get(path, {"page": page}).status_code
            assert status == 404 and "404" in op["responses"], f"{path}?page={page} answered {status}"


def _request_schema(schema: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    name = body["$ref"].rsplit("/", 1)[1]
    return schema["components"]["schemas"][name]


def test_a_blank_login_is_refused_and_the_schema_says_so(api, schema):
    response = api.post("/api/v1/auth/token/", {"login": "", "password": "x", "otp": "123456"}, format="json")
    assert response.status_code == 400
    assert response.json()["details"][0] == {"code": "blank", "message": "该字段不能为空。", "field": "login"}
    assert _request_schema(schema, "/api/v1/auth/token/", "post")["properties"]["login"]["minLength"] == 1


@pytest.mark.parametrize("month", ["0000-01", "2026-13", "2026-1", "２０２６-01", "January"])
def test_a_month_the_account_api_refuses_is_outside_the_schemas_pattern(api, schema, month):
    from accounts.tests.factories import ResidentFactory

    api.force_authenticate(ResidentFactory())
    response = api.get("/api/v1/account/", {"month": month})
    assert response.status_code == 400 and response.json()["error"] == "month_format"
    (parameter,) = [
        p for p in schema["paths"]["/api/v1/account/"]["get"]["parameters"] if p["name"] == "month"
    ]
    pattern = parameter["schema"]["pattern"]
    assert re.match(pattern, month) is None
    for good in ("2026-01", "1000-01", "9999-12"):  # 9999-12 has no following month: once a server error
        assert re.match(pattern, good) and api.get("/api/v1/account/", {"month": good}).status_code == 200
