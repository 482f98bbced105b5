"""What the hand-run benchmarks share: their own PostgreSQL database, a migrated Django and
threads of concurrent clients."""

import os
import threading
import time
from collections.abc import Callable, Iterable


def ensure_database(url: str) -> None:
    """Create the benchmark's database (named by the URL's last part) if it does not exist."""
    import psycopg

    name = url.rsplit("/", 1)[-1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django() -> None:
    """Django on DATABASE_URL, migrated (the caller has set DJANGO_SETTINGS_MODULE)."""
    import django

    ensure_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def run_threads(target: Callable[..., None], arguments: Iterable[tuple]) -> float:
    """One thread of `target` per argument tuple, all started, then all joined; returns the
    wall-clock seconds from the first start to the last join."""
    threads = [threading.Thread(target=target, args=args) for args in arguments]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began
