import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
# Web requests get a statement timeout by default (below gunicorn's --timeout, so the database
# gives up first and the shopper gets a 503); manage.py (migrations), the Celery worker and beat
# get none unless DB_STATEMENT_TIMEOUT_MS is set for them. docs/operations.md.
os.environ.setdefault("DB_STATEMENT_TIMEOUT_MS", "20000")
application = get_wsgi_application()

# Load the search dictionaries (jieba, OpenCC, pinyin) while the worker starts, not on its first
# search (4.5 s for the shopper who happened to send it).
from apps.catalog.search import warm_up  # noqa: E402

warm_up()
