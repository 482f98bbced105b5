"""Settings shared by every environment, read from environment variables.

Without DATABASE_URL the site runs on SQLite; without REDIS_URL the cache is in-process and
Celery runs tasks eagerly, so `make run` works on a bare machine.
"""

from decimal import Decimal
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-dev-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Django's admin with Tianjian's site (branding, the workbench first page).
    "apps.backoffice.apps.BackofficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "apps.core",
    "apps.accounts",
    "apps.stores",
    "apps.catalog",
    "apps.traceability",
    "apps.wholesale",
    "apps.promotions",
    "apps.orders",
    "apps.payments",
    "apps.aftersales",
    "apps.settlement",
    "apps.logistics",
    "apps.customer_service",
    "apps.analytics",
    "apps.distribution",
    "apps.channels",
    "apps.news",
    "apps.open_platform",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "apps.accounts.middleware.RateLimitedMiddleware",
    "apps.core.middleware.DatabaseUnavailableMiddleware",
    "apps.distribution.middleware.ReferralMiddleware",
    "apps.open_platform.middleware.ApiCallLogMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "apps.accounts.context_processors.inbox",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Bounded waits on PostgreSQL (milliseconds, 0 = none): a row lock not granted within
# DB_LOCK_TIMEOUT_MS, or a statement running past DB_STATEMENT_TIMEOUT_MS, is an error that
# the web answers with 503 + Retry-After (apps/core/middleware.py). The statement timeout is
# for web requests: config/wsgi.py defaults it to 20 s (below gunicorn's --timeout, so the
# database gives up first); migrations and batch jobs run without one (docs/operations.md).
DB_LOCK_TIMEOUT_MS = env.int("DB_LOCK_TIMEOUT_MS", default=5000)
DB_STATEMENT_TIMEOUT_MS = env.int("DB_STATEMENT_TIMEOUT_MS", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c lock_timeout={DB_LOCK_TIMEOUT_MS} -c statement_timeout={DB_STATEMENT_TIMEOUT_MS}"
    )
# Optional PostgreSQL read replica: the analytics dashboards and API read their aggregate
# tables from it (apps/analytics/routers.py, docs/analytics.md); everything else uses default.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    # Tests have no second server: the replica alias mirrors the test database.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["apps.analytics.routers.AnalyticsReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache that serves as an empty cache (and logs) while Redis is
            # unreachable, so no page fails because of it (docs/operations.md).
            "BACKEND": "apps.core.cache.FailSafeRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="tianjian"),
            "OPTIONS": {
                "socket_connect_timeout": env.float("CACHE_SOCKET_TIMEOUT_SECONDS", default=0.5),
                "socket_timeout": env.float("CACHE_SOCKET_TIMEOUT_SECONDS", default=0.5),
                "RETRY_AFTER": env.float("CACHE_RETRY_AFTER_SECONDS", default=5),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions: read from the cache, written through to the database (apps/accounts/sessions.py),
# so a signed-in request reads no session row. Only with Redis: an in-process cache is one per
# gunicorn worker, and a log-out in one worker would leave the session alive in the others'.
# Without Redis the sessions stay plain database rows (Django's default engine).
SESSION_ENGINE = "apps.accounts.sessions" if REDIS_URL else "django.contrib.sessions.backends.db"
SESSION_CACHE_ALIAS = "default"
# The longest a cached session copy lives before it is read from its row again (see there).
SESSION_CACHE_MAX_SECONDS = env.int("SESSION_CACHE_MAX_SECONDS", default=300)
# The inbox unread count in the header, cached per user; notification_send and
# notification_mark_read delete it, this only bounds a lost delete (Redis down, a race).
INBOX_UNREAD_CACHE_SECONDS = env.int("INBOX_UNREAD_CACHE_SECONDS", default=300)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Django 6.1 mailers; the console backend prints mail unless EMAIL_BACKEND names another.
MAILERS = {
    "default": {
        "BACKEND": env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"),
        "OPTIONS": env.json("EMAIL_OPTIONS", default={}),
    }
}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="田间 <noreply@tianjian.local>")

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
# Every task is idempotent (each says why in its docstring), so a task is acknowledged only
# once it has finished and one whose worker died is handed to another worker.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task running longer than the hard limit is killed (the soft limit raises in it first), so
# no task outlives the visibility timeout and gets redelivered while still running.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT_SECONDS", default=540)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT_SECONDS", default=600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # An unacknowledged task (its worker killed) comes back after this long: longer than the
    # time limit and any countdown in use (none: retries wait in the outbox, not in Redis),
    # shorter than ORDER_PAYMENT_TIMEOUT_MINUTES.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT_SECONDS", default=900),
    # Publishing tries the broker once (within CELERY_BROKER_CONNECTION_TIMEOUT): a web request
    # whose broker is down goes on at once, its work waits in the outbox.
    "max_retries": env.int("CELERY_BROKER_PUBLISH_RETRIES", default=0),
}
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT_SECONDS", default=2)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Periodic jobs, turned into the beat schedule by config/celery.py. Each entry is
# {"task": ..., "seconds": N} or {"task": ..., "crontab": {...}}; later apps add theirs here.
PERIODIC_TASKS: dict[str, dict] = {
    # Delivers side effects recorded in the outbox (apps/core/outbox.py) that are due.
    "core-outbox-dispatch": {
        "task": "apps.core.tasks.outbox_dispatch_task",
        "seconds": env.int("OUTBOX_DISPATCH_INTERVAL_SECONDS", default=15),
        "enabled": env.bool("OUTBOX_DISPATCH_ENABLED", default=True),
    },
    # Cancels payment orders left unpaid past ORDER_PAYMENT_TIMEOUT_MINUTES, releasing stock.
    "orders-cancel-expired-payment-orders": {
        "task": "apps.orders.tasks.payment_orders_cancel_expired_task",
        "seconds": env.int("ORDER_CANCEL_EXPIRED_INTERVAL_SECONDS", default=60),
        "enabled": env.bool("ORDER_CANCEL_EXPIRED_ENABLED", default=True),
    },
    "catalog-refresh-search-documents": {
        "task": "apps.catalog.tasks.products_reindex_stale_task",
        "seconds": env.int("SEARCH_REINDEX_INTERVAL_SECONDS", default=600),
        "enabled": env.bool("SEARCH_REINDEX_ENABLED", default=True),
    },
    # Publishes yesterday's chain anchors (Asia/Shanghai) just after midnight.
    "traceability-publish-chain-anchors": {
        "task": "apps.traceability.tasks.chain_anchor_publish_task",
        "crontab": {
            "hour": env("TRACE_ANCHOR_HOUR", default="0"),
            "minute": env("TRACE_ANCHOR_MINUTE", default="5"),
        },
        "enabled": env.bool("TRACE_ANCHOR_ENABLED", default=True),
    },
    "traceability-expire-lots": {
        "task": "apps.traceability.tasks.lots_expire_due_task",
        "crontab": {"hour": env("TRACE_EXPIRE_HOUR", default="1"), "minute": "0"},
        "enabled": env.bool("TRACE_EXPIRE_ENABLED", default=True),
    },
    # Closes last month's wholesale buyer statements (账期月结) early on the 1st.
    "wholesale-buyer-statements": {
        "task": "apps.wholesale.tasks.buyer_statements_generate_task",
        "crontab": {
            "day_of_month": env("BUYER_STATEMENTS_DAY", default="1"),
            "hour": env("BUYER_STATEMENTS_HOUR", default="1"),
            "minute": env("BUYER_STATEMENTS_MINUTE", default="30"),
        },
        "enabled": env.bool("BUYER_STATEMENTS_ENABLED", default=True),
    },
    # Completes delivered orders the buyer has not confirmed after LOGISTICS_AUTO_RECEIPT_DAYS.
    "logistics-auto-receipt": {
        "task": "apps.logistics.tasks.orders_auto_receipt_task",
        "seconds": env.int("LOGISTICS_AUTO_RECEIPT_INTERVAL_SECONDS", default=3600),
        "enabled": env.bool("LOGISTICS_AUTO_RECEIPT_ENABLED", default=True),
    },
    # Tells buyers LOGISTICS_AUTO_RECEIPT_REMIND_HOURS ahead that auto-receipt is coming.
    "logistics-auto-receipt-remind": {
        "task": "apps.logistics.tasks.orders_auto_receipt_remind_task",
        "seconds": env.int("LOGISTICS_AUTO_RECEIPT_REMIND_INTERVAL_SECONDS", default=3600),
        "enabled": env.bool("LOGISTICS_AUTO_RECEIPT_REMIND_ENABLED", default=True),
    },
    # Flags parcels not collected in time or silent for too long, for merchants and staff.
    "logistics-flag-overdue": {
        "task": "apps.logistics.tasks.shipments_flag_overdue_task",
        "seconds": env.int("LOGISTICS_OVERDUE_INTERVAL_SECONDS", default=900),
        "enabled": env.bool("LOGISTICS_OVERDUE_ENABLED", default=True),
    },
    # Approves after-sale requests the store left unanswered past AFTERSALE_RESPONSE_HOURS.
    "aftersales-approve-lapsed": {
        "task": "apps.aftersales.tasks.aftersales_approve_lapsed_task",
        "seconds": env.int("AFTERSALE_LAPSE_INTERVAL_SECONDS", default=600),
        "enabled": env.bool("AFTERSALE_LAPSE_ENABLED", default=True),
    },
    # Releases frozen promoter commissions whose orders were received N (config) days ago.
    "distribution-release-commissions": {
        "task": "apps.distribution.tasks.commissions_release_due_task",
        "seconds": env.int("DISTRIBUTION_RELEASE_INTERVAL_SECONDS", default=3600),
        "enabled": env.bool("DISTRIBUTION_RELEASE_ENABLED", default=True),
    },
    # Weekly merchant settlement statements (结算单) for the period that has just ended.
    "settlement-statements": {
        "task": "apps.settlement.tasks.settlement_statements_generate_task",
        "crontab": {
            "day_of_week": env("SETTLEMENT_STATEMENTS_DAY_OF_WEEK", default="1"),
            "hour": env("SETTLEMENT_STATEMENTS_HOUR", default="2"),
            "minute": env("SETTLEMENT_STATEMENTS_MINUTE", default="0"),
        },
        "enabled": env.bool("SETTLEMENT_STATEMENTS_ENABLED", default=True),
    },
    # Raises the escalation level of customer-service cases past their SLA due times.
    "customer-service-sla-monitor": {
        "task": "apps.customer_service.tasks.cases_escalate_breached_task",
        "seconds": env.int("CUSTOMER_SERVICE_SLA_INTERVAL_SECONDS", default=300),
        "enabled": env.bool("CUSTOMER_SERVICE_SLA_ENABLED", default=True),
    },
    # Customer tiers A/B/C, the key-account and president visits they need, overdue flags.
    "customer-service-tiers": {
        "task": "apps.customer_service.tasks.customer_tiers_refresh_task",
        "crontab": {
            "day_of_month": env("CUSTOMER_SERVICE_TIERS_DAY", default="1"),
            "hour": env("CUSTOMER_SERVICE_TIERS_HOUR", default="3"),
            "minute": "0",
        },
        "enabled": env.bool("CUSTOMER_SERVICE_TIERS_ENABLED", default=True),
    },
    # Market quotes → PriceDaily / PricePeriod, and paid orders → SalesDaily: incremental runs
    # (only the days touched since the last run), cheap enough to run often.
    "analytics-prices": {
        "task": "apps.analytics.tasks.prices_aggregate_task",
        "seconds": env.int("ANALYTICS_PRICES_INTERVAL_SECONDS", default=1800),
        "enabled": env.bool("ANALYTICS_PRICES_ENABLED", default=True),
    },
    # 14-day demand forecasts per category and buyer county, nightly (Asia/Shanghai).
    "analytics-demand-forecast": {
        "task": "apps.analytics.tasks.demand_forecast_task",
        "crontab": {
            "hour": env("ANALYTICS_FORECAST_HOUR", default="3"),
            "minute": env("ANALYTICS_FORECAST_MINUTE", default="30"),
        },
        "enabled": env.bool("ANALYTICS_FORECAST_ENABLED", default=True),
    },
    "analytics-sales": {
        "task": "apps.analytics.tasks.sales_aggregate_task",
        "seconds": env.int("ANALYTICS_SALES_INTERVAL_SECONDS", default=900),
        "enabled": env.bool("ANALYTICS_SALES_ENABLED", default=True),
    },
}

# --- Django REST framework / OpenAPI ----------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "apps.core.authentication.PreparedTokenAuthentication",
        # `Authorization: Bearer tj_…`: a third-party app's scoped token (apps/open_platform).
        "apps.open_platform.authentication.AppTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticatedOrReadOnly",
        # An app token must carry the view's `required_scopes` (none declared: refused).
        "apps.open_platform.permissions.HasRequiredScope",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "apps.core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.api.exception_handler",
    # apps/core/throttling.py: DRF throttles counting in django-ratelimit's cache counters.
    # Every view is limited per client address (anonymous) or per user; a view that names a
    # throttle_scope is limited by that scope's rate too. Rates: "<n>/<period>", period
    # s, m, h, d with an optional multiplier ("10/5m"). README "Security" lists them.
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.core.throttling.AnonRateThrottle",
        "apps.core.throttling.UserRateThrottle",
        "apps.core.throttling.ScopedRateThrottle",
        "apps.open_platform.throttling.AppTokenRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_RATE_ANON", default="120/m"),
        "user": env("API_RATE_USER", default="600/m"),
        "search": env("API_RATE_SEARCH", default="30/m"),
        "checkout": env("API_RATE_CHECKOUT", default="10/m"),
        "auth_token": env("API_RATE_AUTH_TOKEN", default="10/m"),
        "payment_notify": env("API_RATE_PAYMENT_NOTIFY", default="60/m"),
        "webhook": env("API_RATE_WEBHOOK", default="60/m"),
        # Per app token (a token's own `rate` field overrides it).
        "app_token": env("API_RATE_APP_TOKEN", default="600/m"),
    },
}
# Proxies (IPs or networks, e.g. "10.0.0.0/8") whose X-Forwarded-For is believed when they are
# the socket's peer; empty: the client address is always the socket's (apps/core/http.py).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# django-ratelimit (trace and parcel lookups, pickup codes, the API throttles) counts per the
# same client address.
RATELIMIT_IP_META_KEY = "apps.core.http.client_ip_for_ratelimit"
SPECTACULAR_SETTINGS = {
    "TITLE": "Tianjian (田间) API",
    "DESCRIPTION": "County B2B2C marketplace for farm produce.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Serve Swagger UI from the installed sidecar package: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets whose field name ("kind", "status") is shared by several models.
    "ENUM_NAME_OVERRIDES": {
        "BuyerOrganisationKindEnum": "apps.wholesale.models.BuyerOrganisation.Kind",
        "StoreTypeEnum": "apps.stores.models.StoreType",
        "ProductStatusEnum": "apps.catalog.models.Product.Status",
        "PartyKindEnum": "apps.traceability.models.Party.Kind",
        "LocationKindEnum": "apps.traceability.models.Location.Kind",
        "InspectionKindEnum": "apps.traceability.models.Inspection.Kind",
        "TrackingEventStatusEnum": "apps.logistics.models.TrackingEvent.Status",
        "OrderStatusEnum": "apps.orders.models.Order.Status",
        "PaymentStatusEnum": "apps.payments.models.Payment.Status",
        "DeliveryMethodEnum": "apps.orders.models.DeliveryMethod",
        "PaymentOrderMethodEnum": "apps.orders.models.PaymentOrder.Method",
        "AfterSaleTypeEnum": "apps.aftersales.models.AfterSale.Type",
        "AfterSaleStatusEnum": "apps.aftersales.models.AfterSale.Status",
        "WebhookEventTypeEnum": "apps.open_platform.scopes.EventType",
        "LedgerEntryTypeEnum": "apps.settlement.models.LedgerEntry.Type",
        "SettlementStatementStatusEnum": "apps.settlement.models.SettlementStatement.Status",
        "CaseStatusEnum": "apps.customer_service.models.Case.Status",
        "CaseChannelEnum": "apps.customer_service.models.Case.Channel",
        "CaseCategoryEnum": "apps.customer_service.models.Case.Category",
        "CasePriorityEnum": "apps.customer_service.models.Priority",
        "CaseEntryKindEnum": "apps.customer_service.models.CaseEntry.Kind",
        "PriceScopeEnum": "apps.analytics.models.Scope",
        "CertificateScopeEnum": "apps.traceability.models.Certificate.Scope",
        "PromoterStatusEnum": "apps.distribution.models.Promoter.Status",
        "PromoterSourceEnum": "apps.distribution.models.Promoter.Source",
        "CommissionStatusEnum": "apps.distribution.models.CommissionRecord.Status",
        "CommissionLevelEnum": "apps.distribution.models.CommissionRecord.LEVEL_CHOICES",
        "WithdrawalStatusEnum": "apps.distribution.models.Withdrawal.Status",
        "WithdrawalMethodEnum": "apps.distribution.models.Withdrawal.Method",
    },
}

# --- django-allauth ---------------------------------------------------------------------
ACCOUNT_ADAPTER = "apps.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "apps.accounts.forms.LoginForm",
    "signup": "apps.accounts.forms.SignupForm",
    "request_login_code": "apps.accounts.forms.RequestLoginCodeForm",
    "change_phone": "apps.accounts.forms.ChangePhoneForm",
    "confirm_login_code": "apps.accounts.forms.ConfirmLoginCodeForm",
    "verify_phone": "apps.accounts.forms.VerifyPhoneForm",
}
ACCOUNT_LOGIN_METHODS = {"email", "phone"}
# A mobile number or an e-mail address (or both): allauth cannot express "one of the two", so
# both are optional here and apps.accounts.forms.SignupForm requires one. That is also why
# allauth's "no required login field" warning is silenced.
ACCOUNT_SIGNUP_FIELDS = ["phone", "email", "password1*"]
SILENCED_SYSTEM_CHECKS = ["account.W001"]
if "sqlite" in DATABASES["default"]["ENGINE"]:
    # The embedded default: SQLite builds covering indexes (INCLUDE) without their extra
    # columns and ignores nulls_distinct on unique constraints (derived analytics rows the
    # jobs rewrite whole); PostgreSQL, what runs in production and CI, applies both.
    SILENCED_SYSTEM_CHECKS += ["models.W040", "models.W047"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="optional")
# User.email holds one address; allauth's change-email flow keeps it that way.
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 5 * 60
ACCOUNT_LOGIN_BY_CODE_SUPPORTS_RESEND = True
# Six digits, as Chinese SMS codes always are (allauth's default is letters with a dash).
ACCOUNT_LOGIN_BY_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_PHONE_VERIFICATION_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND = True
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_CHANGE = True
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    # Failed passwords are limited by apps.accounts.login_limits (LOGIN_* below), not here:
    # allauth's per-address and per-account lockouts would let anyone lock others out.
    "signup": "20/h/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "5/m/ip,3/m/key",
    # Each code costs an SMS: one a minute and ten an hour per number, as Chinese apps do.
    "request_login_code": "10/m/ip,1/m/key,10/h/key",
    "verify_phone": "1/m/key,10/h/key,5/m/ip",
}

# Password log-in back-off (apps/accounts/login_limits.py): per (client address, account)
# after LOGIN_PAIR_FREE_FAILURES failures, and for addresses that failed for an account with
# more than LOGIN_ACCOUNT_FREE_FAILURES failures overall, each further failure doubles the
# wait from LOGIN_BACKOFF_BASE_SECONDS up to LOGIN_BACKOFF_MAX_SECONDS. A client address
# with LOGIN_ADDRESS_FAILURE_RATE failures (all accounts) is refused until the window ends.
LOGIN_PAIR_FREE_FAILURES = env.int("LOGIN_PAIR_FREE_FAILURES", default=3)
LOGIN_ACCOUNT_FREE_FAILURES = env.int("LOGIN_ACCOUNT_FREE_FAILURES", default=10)
LOGIN_BACKOFF_BASE_SECONDS = env.int("LOGIN_BACKOFF_BASE_SECONDS", default=2)
LOGIN_BACKOFF_MAX_SECONDS = env.int("LOGIN_BACKOFF_MAX_SECONDS", default=15 * 60)
LOGIN_ADDRESS_FAILURE_RATE = env("LOGIN_ADDRESS_FAILURE_RATE", default="100/h")
LOGIN_FAILURE_MEMORY_SECONDS = env.int("LOGIN_FAILURE_MEMORY_SECONDS", default=24 * 3600)

# --- Tianjian ---------------------------------------------------------------------------
PLATFORM_DEFAULT_COMMISSION_RATE = Decimal(env("PLATFORM_DEFAULT_COMMISSION_RATE", default="0.05"))
IMAGE_UPLOAD_MAX_BYTES = env.int("IMAGE_UPLOAD_MAX_BYTES", default=5 * 1024 * 1024)
IMAGE_UPLOAD_MAX_PIXELS = env.int("IMAGE_UPLOAD_MAX_PIXELS", default=25_000_000)
THUMBNAIL_SIZE = (480, 480)
SMS_SENDER = env("SMS_SENDER", default="apps.accounts.sms.LogSmsSender")
# Anonymous shoppers get storefront pages (home, listings, search, store, product) from a
# whole-page cache for this long (apps/catalog/page_cache.py); edits show up at most this late.
# 0 turns it off.
STOREFRONT_PAGE_CACHE_SECONDS = env.int("STOREFRONT_PAGE_CACHE_SECONDS", default=60)

# --- Outbox (apps/core/outbox.py) -------------------------------------------------------
# A side effect not delivered is retried after this many seconds, doubling per attempt up to
# the maximum; the dispatcher delivers at most OUTBOX_DISPATCH_BATCH messages per run.
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=30)
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=3600)
OUTBOX_DISPATCH_BATCH = env.int("OUTBOX_DISPATCH_BATCH", default=200)

# --- Open platform: webhooks out (apps/open_platform) -----------------------------------
# Targets must resolve to public addresses (no SSRF); True lets loopback through (tests, bench).
WEBHOOK_ALLOW_LOOPBACK = env.bool("WEBHOOK_ALLOW_LOOPBACK", default=False)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10)
# A failed delivery is retried after BASE seconds, doubling per attempt up to MAX; after
# MAX_ATTEMPTS it is given up (the defaults wait 26.5 hours in all: 60 s … 6 h, 13 attempts).
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=60)
WEBHOOK_RETRY_MAX_SECONDS = env.int("WEBHOOK_RETRY_MAX_SECONDS", default=6 * 3600)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=13)
# This many failed attempts in a row (any deliveries) pause a subscription and notify its owner.
WEBHOOK_PAUSE_AFTER_FAILURES = env.int("WEBHOOK_PAUSE_AFTER_FAILURES", default=15)
# A receiver must answer with a timestamp no older than this (what we tell them to check).
WEBHOOK_SIGNATURE_TOLERANCE_SECONDS = 300

# --- Orders -----------------------------------------------------------------------------
# An unpaid checkout holds its stock this long, then the beat job cancels it.
ORDER_PAYMENT_TIMEOUT_MINUTES = env.int("ORDER_PAYMENT_TIMEOUT_MINUTES", default=30)
ORDER_MAX_LINE_QUANTITY = env.int("ORDER_MAX_LINE_QUANTITY", default=9999)

# --- Logistics --------------------------------------------------------------------------
# A delivered order the buyer has not confirmed is confirmed this many days after delivery.
LOGISTICS_AUTO_RECEIPT_DAYS = env.int("LOGISTICS_AUTO_RECEIPT_DAYS", default=10)
# The buyer is reminded (inbox and SMS) this many hours before auto-receipt completes an order.
LOGISTICS_AUTO_RECEIPT_REMIND_HOURS = env.int("LOGISTICS_AUTO_RECEIPT_REMIND_HOURS", default=48)
# A store must answer an after-sale request within this many hours, or it is approved for it.
AFTERSALE_RESPONSE_HOURS = env.int("AFTERSALE_RESPONSE_HOURS", default=48)
# Overdue: a parcel not collected this long after payment, or without any scan this long.
LOGISTICS_COLLECT_DEADLINE_HOURS = env.int("LOGISTICS_COLLECT_DEADLINE_HOURS", default=48)
LOGISTICS_SILENCE_HOURS = env.int("LOGISTICS_SILENCE_HOURS", default=72)
# Wrong pickup codes a point's clerk (and the point) may enter per window before being refused.
PICKUP_CODE_RATE_LIMIT = env("PICKUP_CODE_RATE_LIMIT", default="5/10m")
# Default temperature range (°C, inclusive) of a product's storage when the product sets no
# temperature_min/max: chilled goods 0–8 °C, frozen goods meant to travel at −18 °C or colder,
# allowing up to −15 °C for a short door-open (−40 °C floor). Ambient goods have no range.
COLD_CHAIN_RANGES: dict[str, tuple[int, int]] = {
    "chilled": (0, 8),
    "frozen": (-40, -15),
}
# The public parcel lookup /track/ per client IP: every lookup, and stricter, failed ones
# (unknown number or wrong phone tail) so numbers cannot be enumerated.
TRACK_PAGE_RATE_LIMIT = env("TRACK_PAGE_RATE_LIMIT", default="30/m")
TRACK_MISS_RATE_LIMIT = env("TRACK_MISS_RATE_LIMIT", default="10/h")
# A pushed (generic) tracking webhook is refused when its X-Tianjian-Timestamp is further
# than this from now: a captured request cannot be replayed later.
TRACKING_WEBHOOK_MAX_AGE_SECONDS = env.int("TRACKING_WEBHOOK_MAX_AGE_SECONDS", default=300)
TRACKING_WEBHOOK_MAX_EVENTS = env.int("TRACKING_WEBHOOK_MAX_EVENTS", default=1000)

# --- Traceability -----------------------------------------------------------------------
# 承诺达标合格证 must be kept at least two years.
TRACE_CERTIFICATE_RETENTION_DAYS = env.int("TRACE_CERTIFICATE_RETENTION_DAYS", default=730)
# Farm records this far before a harvest count as "inputs used on the lot".
TRACE_INPUT_LOOKBACK_DAYS = env.int("TRACE_INPUT_LOOKBACK_DAYS", default=180)
# The merchant's workbench warns of lots on sale whose shelf life ends within this many days.
TRACE_EXPIRY_WARNING_DAYS = env.int("TRACE_EXPIRY_WARNING_DAYS", default=7)
TRACE_REPORT_MAX_BYTES = env.int("TRACE_REPORT_MAX_BYTES", default=10 * 1024 * 1024)
# /t/<code> per client IP: every lookup, and stricter, lookups of codes that do not exist.
TRACE_PAGE_RATE_LIMIT = env("TRACE_PAGE_RATE_LIMIT", default="60/m")
TRACE_MISS_RATE_LIMIT = env("TRACE_MISS_RATE_LIMIT", default="20/h")
# A per-package code scanned more often than this is probably a copied label.
TRACE_SCAN_WARNING_COUNT = env.int("TRACE_SCAN_WARNING_COUNT", default=20)
TRACE_MAX_CODES_PER_BATCH = env.int("TRACE_MAX_CODES_PER_BATCH", default=10_000)
# Customer service (a later issue) takes complaints here, pre-filled with ?lot=<number>.
TRACE_COMPLAINT_URL = env("TRACE_COMPLAINT_URL", default="/service/complaints/new/")

# --- Payments ---------------------------------------------------------------------------
# Absolute base URL of this site, as payment providers (and the sandbox's notify task) reach it.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
PAYMENT_SANDBOX_SECRET = env("PAYMENT_SANDBOX_SECRET", default="sandbox-secret-change-me")
# A sandbox notify older (or further in the future) than this is refused as a replay.
PAYMENT_NOTIFY_MAX_AGE_SECONDS = env.int("PAYMENT_NOTIFY_MAX_AGE_SECONDS", default=300)
# What one notify may store: real ones are a few KB; a longer body is kept cut and refused.
PAYMENT_NOTIFY_MAX_BYTES = env.int("PAYMENT_NOTIFY_MAX_BYTES", default=8 * 1024)
ALIPAY_APP_ID = env("ALIPAY_APP_ID", default="")
ALIPAY_APP_PRIVATE_KEY = env("ALIPAY_APP_PRIVATE_KEY", default="")
ALIPAY_PUBLIC_KEY = env("ALIPAY_PUBLIC_KEY", default="")
# Each provider: BACKEND (class path), ENABLED, OPTIONS (passed to the class). Alipay is on only
# when its app id and both keys are configured; keys are PEM text or Alipay's bare base64.
# Other apps have `status` fields too: give the payments' enum its own schema name.
PAYMENT_PROVIDERS: dict[str, dict] = {
    "sandbox": {
        "BACKEND": "apps.payments.providers.sandbox.SandboxProvider",
        "ENABLED": env.bool("PAYMENT_SANDBOX_ENABLED", default=True),
        "OPTIONS": {},
    },
    "alipay": {
        "BACKEND": "apps.payments.providers.alipay.AlipayProvider",
        "ENABLED": bool(ALIPAY_APP_ID and ALIPAY_APP_PRIVATE_KEY and ALIPAY_PUBLIC_KEY),
        "OPTIONS": {
            "app_id": ALIPAY_APP_ID,
            "app_private_key": ALIPAY_APP_PRIVATE_KEY,
            "alipay_public_key": ALIPAY_PUBLIC_KEY,
            "gateway": env("ALIPAY_GATEWAY", default="https://openapi.alipay.com/gateway.do"),
            "seller_id": env("ALIPAY_SELLER_ID", default=""),
        },
    },
}

# --- After-sales ------------------------------------------------------------------------
# `type` and `status` are field names of other apps' choices too: name the after-sale enums.

# --- Customer service -------------------------------------------------------------------
# Working hours of the business calendar the SLA clocks run on (Asia/Shanghai, HH:MM).
CUSTOMER_SERVICE_WORKDAY_START = env("CUSTOMER_SERVICE_WORKDAY_START", default="09:00")
CUSTOMER_SERVICE_WORKDAY_END = env("CUSTOMER_SERVICE_WORKDAY_END", default="18:00")
# A resolution this many minutes overdue escalates to the director (level 3).
CUSTOMER_SERVICE_DIRECTOR_AFTER_MINUTES = env.int(
    "CUSTOMER_SERVICE_DIRECTOR_AFTER_MINUTES", default=24 * 60
)
CUSTOMER_SERVICE_BATCH_SIZE = env.int("CUSTOMER_SERVICE_BATCH_SIZE", default=5000)
# Monthly tiers from 12-month paid purchases: the top share are A, the next share B.
CUSTOMER_SERVICE_TIER_A_SHARE = env.float("CUSTOMER_SERVICE_TIER_A_SHARE", default=0.10)
CUSTOMER_SERVICE_TIER_B_SHARE = env.float("CUSTOMER_SERVICE_TIER_B_SHARE", default=0.20)
# Share of last month's closed cases that get a satisfaction survey call (monthly tier job).
CUSTOMER_SERVICE_SURVEY_CALL_SHARE = env.float("CUSTOMER_SERVICE_SURVEY_CALL_SHARE", default=0.20)
# How long the SMS code of an anonymous complaint stays valid.
CUSTOMER_SERVICE_CODE_TTL_SECONDS = env.int("CUSTOMER_SERVICE_CODE_TTL_SECONDS", default=600)
# Code requests per client IP (each phone is limited separately: 1 a minute, 5 an hour).
CUSTOMER_SERVICE_CODE_RATE = env("CUSTOMER_SERVICE_CODE_RATE", default="10/h")

# --- Settlement -------------------------------------------------------------------------
# Statement periods are SETTLEMENT_PERIOD_DAYS long, counted (Asia/Shanghai dates) from the
# anchor date; a Monday anchor with 7 days gives Monday–Sunday weeks.
SETTLEMENT_PERIOD_DAYS = env.int("SETTLEMENT_PERIOD_DAYS", default=7)
SETTLEMENT_PERIOD_ANCHOR = env("SETTLEMENT_PERIOD_ANCHOR", default="2024-01-01")  # ISO date

# --- Analytics (大数据) -----------------------------------------------------------------
# Imported quotes outside this range (元/公斤, after unit conversion) are refused as absurd.
ANALYTICS_PRICE_MIN = env("ANALYTICS_PRICE_MIN", default="0.01")
ANALYTICS_PRICE_MAX = env("ANALYTICS_PRICE_MAX", default="10000")
# A day's price is a spike when |price − MA30| / SD30 reaches this (DOMAIN.md: 3).
ANALYTICS_SPIKE_Z = env.float("ANALYTICS_SPIKE_Z", default=3.0)
# The aggregation jobs run long set-based statements: inside their transaction the statement
# and lock timeouts (DB_STATEMENT_TIMEOUT_MS, DB_LOCK_TIMEOUT_MS, meant for web requests) are
# raised to this (milliseconds, 0 = no limit).
ANALYTICS_JOB_TIMEOUT_MS = env.int("ANALYTICS_JOB_TIMEOUT_MS", default=600_000)
# Demand forecasts learn from at most this many days of daily sales.
ANALYTICS_FORECAST_HISTORY_DAYS = env.int("ANALYTICS_FORECAST_HISTORY_DAYS", default=365)
ANALYTICS_IMPORT_MAX_BYTES = env.int("ANALYTICS_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"jieba": {"level": "WARNING"}},
}
