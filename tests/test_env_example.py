"""`.env.example` lists exactly the environment variables the settings read."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# env("X", ...), env.int("X", ...), env.db("X", ...) and the like in config/settings/*.py.
_READ = re.compile(r"\benv(?:\.[a-z]+)?\(\s*\"([A-Z][A-Z0-9_]*)\"")
_LISTED = re.compile(r"^#?([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def test_env_example_lists_every_variable_the_settings_read():
    # given: the variables the settings read, and those .env.example lists
    read = {
        name
        for path in (ROOT / "config" / "settings").glob("*.py")
        for name in _READ.findall(path.read_text(encoding="utf-8"))
    }
    listed = _LISTED.findall((ROOT / ".env.example").read_text(encoding="utf-8"))

    # then: each is listed once, and nothing listed is no longer read (DJANGO_SETTINGS_MODULE
    # is read by manage.py, config/celery.py and config/wsgi.py)
    assert len(read) > 60
    assert sorted(set(listed)) == sorted(listed)
    assert set(listed) == read | {"DJANGO_SETTINGS_MODULE"}
