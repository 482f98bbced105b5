"""What the hand-run benchmarks share: their own PostgreSQL database and a migrated Django."""

import os


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
