from .base import *  # noqa: F403

SECRET_KEY = "test-secret-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# One process: the cached sessions production runs with Redis work on locmem here too.
SESSION_ENGINE = "apps.accounts.sessions"
# Page tests see every render; tests/catalog/test_page_cache.py turns the page cache on.
STOREFRONT_PAGE_CACHE_SECONDS = 0
# Tasks run in-process in tests so their real code is exercised without a worker; the broker
# URL still points at Redis when REDIS_URL is set, which /readyz checks.
CELERY_TASK_ALWAYS_EAGER = True
MEDIA_ROOT = BASE_DIR / ".pytest_media"  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# No collected static files in tests: Django's own static handling serves them to live_server.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405

# Webhook tests deliver to a receiver on 127.0.0.1; tests/open_platform/test_ssrf.py turns it off.
WEBHOOK_ALLOW_LOOPBACK = True
