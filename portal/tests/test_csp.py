"""Content-Security-Policy (issue 15): Django's own middleware sends the policy on every response;
our templates hold no inline script, no inline event handler and no style attribute, so the policy
needs no 'unsafe-inline'; the API docs page's inline script and style carry the response's nonce.
The browser test (tests/browser/test_csp.py) loads the pages and listens for violations."""

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style(?![^>]*nonce=)[^>]*>", re.I)


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split("; ")}


@pytest.mark.parametrize(
    "path", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html"))
)
def test_no_template_has_inline_script_handlers_or_styles(path):
    text = (TEMPLATES / path).read_text()
    if path == "drf_spectacular/swagger_ui.html":  # the nonce'd exception, checked below
        return
    assert not INLINE_SCRIPT.search(text), "inline <script>: move it to static/js/"
    assert not EVENT_HANDLER.search(text), "inline event handler: bind it in static/js/"
    assert not STYLE_ATTRIBUTE.search(text), "style attribute: use a class in static/css/portal.css"
    assert not STYLE_ELEMENT.search(text), "<style> element: use static/css/portal.css"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/login/", "/register/", "/counter/login/", "/admin/login/"])
def test_every_page_carries_a_policy_without_unsafe_inline(client, path):
    response = client.get(path)
    assert response.status_code == 200
    rules = policy(response)
    # 'self', and a nonce only where a template asked for one (Django's admin does)
    assert rules["script-src"][0] == "'self'" and all(
        v.startswith("'nonce-") for v in rules["script-src"][1:]
    )
    assert rules["style-src"][0] == "'self'" and all(v.startswith("'nonce-") for v in rules["style-src"][1:])
    assert rules["object-src"] == ["'none'"] and rules["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_api_docs_inline_script_and_style_carry_the_responses_nonce(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", policy(response)["script-src"][1]).group(1)
    assert policy(response)["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    inline = re.findall(r"<(script|style)(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline and all(f'nonce="{nonce}"' in attrs for _, attrs in inline)
    # a second response has another nonce
    assert nonce not in client.get("/api/v1/docs/")["Content-Security-Policy"]
