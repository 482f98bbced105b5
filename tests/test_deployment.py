"""docker-compose.yml fits the degradation rules (docs/operations.md)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = (ROOT / "docker-compose.yml").read_text()
DOCKERFILE = (ROOT / "Dockerfile").read_text()
WSGI = (ROOT / "config" / "wsgi.py").read_text()


def test_the_web_health_check_is_the_liveness_endpoint():
    checks = re.findall(r"urlopen\('http://127\.0\.0\.1:8000(/\w+)'\)", COMPOSE)

    assert checks == ["/healthz"]


def test_gunicorn_waits_longer_than_the_database_so_the_database_gives_up_first(settings):
    in_compose = int(re.search(r"gunicorn .*--timeout (\d+)", COMPOSE).group(1))
    in_image = int(re.search(r'"--timeout", "(\d+)"', DOCKERFILE).group(1))

    in_web = int(re.search(r'"DB_STATEMENT_TIMEOUT_MS", "(\d+)"', WSGI).group(1))

    for gunicorn_timeout in (in_compose, in_image):
        assert gunicorn_timeout * 1000 > in_web
    assert in_web > settings.DB_LOCK_TIMEOUT_MS
