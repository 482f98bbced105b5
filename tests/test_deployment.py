"""docker-compose.yml fits the degradation rules (docs/operations.md)."""

import re
from pathlib import Path

COMPOSE = (Path(__file__).resolve().parent.parent / "docker-compose.yml").read_text()


def test_the_web_health_check_is_the_liveness_endpoint():
    checks = re.findall(r"urlopen\('http://127\.0\.0\.1:8000(/\w+)'\)", COMPOSE)

    assert checks == ["/healthz"]


def test_gunicorn_waits_longer_than_the_database_so_the_database_gives_up_first(settings):
    gunicorn_timeout = int(re.search(r"gunicorn .*--timeout (\d+)", COMPOSE).group(1))

    assert gunicorn_timeout * 1000 > settings.DB_STATEMENT_TIMEOUT_MS > settings.DB_LOCK_TIMEOUT_MS
