"""Deployment contract: production settings pass `check --deploy` and refuse to start without their
secrets; the probes of API.md section 1 answer; docker-compose.yml and deploy/env.example agree."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parent.parent.parent
CERT_SECRETS = [f"CERT_CALLBACK_SECRET_{c}" for c in ("ALIPAY", "WECHAT", "APP", "MINI_PROGRAM")]
REQUIRED = [
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEY",
    "ID_HASH_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    *CERT_SECRETS,
]


def production_env(**overrides: str | None) -> dict[str, str]:
    """A clean environment for production settings with freshly generated test keys. Nothing is
    inherited except what a process needs to run (the test process itself holds the dev keys)."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        ID_HASH_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="portal.example.cn",
        DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://portal@127.0.0.1:5432/portal"),
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        **{name: secrets.token_hex(32) for name in CERT_SECRETS},
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_production_settings_pass_the_deployment_checklist_with_nothing_reported() -> None:
    # given production settings with every secret set
    env = production_env()
    # when Django's deployment checklist runs, failing on any warning
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    # then it passes and reports nothing at all
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in result.stdout, output
    assert "WARNINGS:" not in output and "ERRORS:" not in output, output


@pytest.mark.parametrize("variable", REQUIRED)
def test_production_settings_refuse_to_start_without_a_required_variable(variable: str) -> None:
    # given production settings with one required variable missing
    env = production_env(**{variable: None})
    # when any management command starts
    result = manage(env, "check")
    # then it stops with an error that names the variable
    assert result.returncode != 0
    assert variable in result.stderr, result.stderr


@pytest.mark.django_db
def test_healthz_answers_while_the_process_is_up(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_answers_when_postgresql_and_redis_both_answer(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {"database": True, "redis": True},
        "outbox": {"pending": 0, "lag_seconds": 0, "late": False},
    }


@pytest.mark.django_db
def test_readyz_is_unavailable_when_redis_is_unreachable(client: Client) -> None:
    # given a Redis address where nothing listens
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        # when the readiness probe is asked
        response = client.get("/readyz")
    # then it answers 503 and says which dependency failed
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"] == {"database": True, "redis": False}


def test_every_compose_variable_is_documented_in_env_example_and_secrets_are_required() -> None:
    # given the shared app definition of docker-compose.yml and the operator's template
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    app_env: dict[str, str] = compose["x-app"]["environment"]
    example = (ROOT / "deploy" / "env.example").read_text()
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    # then every variable passed to the app is in the template, with an empty value
    assert set(app_env) - {"DJANGO_SETTINGS_MODULE"} <= documented
    assert re.findall(r"^[A-Z][A-Z0-9_]*=\S", example, flags=re.MULTILINE) == []
    # and compose refuses to start without a secret rather than falling back to a value in the repo
    secret_names = [
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEY",
        "ID_HASH_KEY",
        "ALLOWED_HOSTS",
        *(f"CERT_CALLBACK_SECRET_{c}" for c in ("ALIPAY", "WECHAT", "APP", "MINI_PROGRAM")),
    ]
    for name in secret_names:
        assert app_env[name].startswith(f"${{{name}:?"), name
    assert compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith(
        "${POSTGRES_PASSWORD:?"
    )
