import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
application = get_wsgi_application()

# Load the search dictionaries (jieba, OpenCC, pinyin) while the worker starts, not on its first
# search (4.5 s for the shopper who happened to send it).
from apps.catalog.search import warm_up  # noqa: E402

warm_up()
