"""`manage.py check --deploy` on the production settings: clean, and fails loudly without mail."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SECRET = "x7Jq-production-like-secret-key-with-enough-length-and-variety-0123456789"


def _deploy_check(**env_overrides: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "EMAIL_", "PAYMENT_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=SECRET,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
    )
    env.update(env_overrides)
    env = {key: value for key, value in env.items() if value is not None}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_check_on_production_settings_reports_nothing():
    result = _deploy_check()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_mail_backend():
    result = _deploy_check(EMAIL_BACKEND=None)

    assert result.returncode != 0
    assert "EMAIL_BACKEND is not set" in result.stderr


@pytest.mark.parametrize(
    ("variable", "warning"),
    [("DJANGO_SECURE_SSL_REDIRECT", "security.W008"), ("DJANGO_SECURE_HSTS_SECONDS", "W004")],
)
def test_redirect_and_hsts_can_be_switched_off_for_a_tls_terminating_proxy(variable, warning):
    result = _deploy_check(**{variable: "0" if "SECONDS" in variable else "false"})

    assert warning in result.stderr + result.stdout
