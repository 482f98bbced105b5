"""The Celery app and its beat schedule.

The schedule lives here in code (django-celery-beat does not support Django 6.1). Each entry's
interval comes from settings.PERIODIC_TASKS, which reads the environment, so operators can
tune or disable a job without a code change.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("tianjian")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def build_beat_schedule(periodic_tasks: dict[str, dict]) -> dict[str, dict]:
    """Turn settings.PERIODIC_TASKS into Celery's beat_schedule.

    An entry is {"task": dotted name, "seconds": N} or {"task": ..., "crontab": {...}};
    "enabled": False drops it.
    """
    schedule = {}
    for name, spec in periodic_tasks.items():
        if not spec.get("enabled", True):
            continue
        when = crontab(**spec["crontab"]) if "crontab" in spec else float(spec["seconds"])
        schedule[name] = {"task": spec["task"], "schedule": when}
    return schedule


@app.on_after_finalize.connect
def _setup_periodic_tasks(sender: Celery, **kwargs) -> None:
    from django.conf import settings

    sender.conf.beat_schedule = build_beat_schedule(settings.PERIODIC_TASKS)
