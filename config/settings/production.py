"""Production: everything `manage.py check --deploy` asks for, switchable only by environment."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import PAYMENT_PROVIDERS, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")

# HTTPS. Behind a TLS-terminating proxy that sets X-Forwarded-Proto the redirect still works;
# a proxy that redirects and sends HSTS itself may turn ours off (README "Security").
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Health probes come over plain HTTP from inside the host or cluster.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)  # 0: off
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# E-mail: no silent fall-back to printing mail on the console. Name the backend explicitly
# (SMTP with EMAIL_OPTIONS, or the console backend on purpose for a demo).
_EMAIL_BACKEND = env("EMAIL_BACKEND", default="")
if not _EMAIL_BACKEND:
    raise ImproperlyConfigured(
        "EMAIL_BACKEND is not set. Production sends real mail: set EMAIL_BACKEND="
        "django.core.mail.backends.smtp.EmailBackend and EMAIL_OPTIONS (host, port, user, "
        "password, use_tls), or choose django.core.mail.backends.console.EmailBackend "
        "explicitly for a demo."
    )
MAILERS = {"default": {"BACKEND": _EMAIL_BACKEND, "OPTIONS": env.json("EMAIL_OPTIONS", default={})}}

# The sandbox lets anyone holding its secret mark orders paid: off unless asked for.
PAYMENT_PROVIDERS = {
    **PAYMENT_PROVIDERS,
    "sandbox": {
        **PAYMENT_PROVIDERS["sandbox"],
        "ENABLED": env.bool("PAYMENT_SANDBOX_ENABLED", default=False),
    },
}
