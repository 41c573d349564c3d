"""Django settings of adscan, read from ``ADSCAN_*`` variables (see :mod:`review_ui.config`)."""

from __future__ import annotations

from pathlib import Path

from review_ui import config

BASE_DIR = Path(__file__).resolve().parent
HOME = config.home()

DEBUG = config.get_bool("DEBUG", False)
# The development key is refused by the production check (review_ui.checks).
DEV_SECRET_KEY = "adscan-development-key-not-for-production-use-0123456789abcdef"
SECRET_KEY = config.get("SECRET_KEY", DEV_SECRET_KEY)
ALLOWED_HOSTS = [
    h.strip()
    for h in str(config.get("ALLOWED_HOSTS", "127.0.0.1,localhost")).split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "review_ui.accounts",
    "review_ui.review",
    "review_ui.analysis",
    "review_ui.operations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Every page needs a login unless its view says login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Content-Security-Policy and the other headers Django does not set.
    "review_ui.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "review_ui.urls"

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
                "review_ui.accounts.context_processors.capabilities",
            ],
        },
    },
]

WSGI_APPLICATION = "review_ui.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": config.get("DB_PATH", str(HOME / "adscan.sqlite3")),
        "OPTIONS": {"timeout": 30},
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", "Nederlands"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]  # the project-wide CSS and JS (static/adscan/)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "accounts:login"
# Login throttle (review_ui.accounts.throttle): failures per username + address
# within the lockout window, kept in Django's cache (per process with LocMemCache).
ADSCAN_LOGIN_MAX_FAILURES = config.get_int("LOGIN_MAX_FAILURES", 5)
ADSCAN_LOGIN_LOCKOUT_MINUTES = config.get_int("LOGIN_LOCKOUT_MINUTES", 15)
# True refuses to start with the development key or DEBUG on (review_ui.checks).
ADSCAN_PRODUCTION = config.get_bool("PRODUCTION", False)

SESSION_COOKIE_AGE = config.get_int("SESSION_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
HTTPS = config.get_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
# same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on
# form posts and Django's CSRF check refuses them. Other sites still get nothing.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0

# adscan's own settings, passed down to crawler/, classifier/ and index/ as arguments.
ADSCAN_INDEX_URL = config.get("INDEX_URL", f"sqlite:///{HOME / 'ads.db'}")
ADSCAN_ARCHIVE_DIR = Path(config.get("ARCHIVE_DIR", HOME / "archive"))
ADSCAN_IMAGE_DIR = Path(config.get("IMAGE_DIR", HOME / "images"))
ADSCAN_RETENTION_DAYS = config.get_int("RETENTION_DAYS", 90)
ADSCAN_FLAG_THRESHOLD = float(config.get("FLAG_THRESHOLD", 0.5))
ADSCAN_EMBEDDING_MODEL = config.get("EMBEDDING_MODEL", None)
ADSCAN_MODEL_DIR = config.get("MODEL_DIR", None)

# Case packages (review_ui.analysis.exports): where ZIPs are kept, the largest
# selection, and whether phone numbers and names are pseudonymised by default.
ADSCAN_EXPORT_DIR = Path(config.get("EXPORT_DIR", HOME / "exports"))
ADSCAN_EXPORT_MAX_ADS = config.get_int("EXPORT_MAX_ADS", 500)
ADSCAN_EXPORT_PSEUDONYMISE = config.get_bool("EXPORT_PSEUDONYMISE", False)
ADSCAN_EXPORT_PSEUDONYM_KEY = str(config.get("EXPORT_PSEUDONYM_KEY", SECRET_KEY))

# The scheduler (review_ui.operations.scheduler). Commands are shell-quoted
# strings; empty means the default (python -m crawler.runner / adscan process --json).
ADSCAN_SCHEDULER_SYNC_SECONDS = float(config.get("SCHEDULER_SYNC_SECONDS", 30))
ADSCAN_SCHEDULER_MISFIRE_GRACE_SECONDS = config.get_int("SCHEDULER_MISFIRE_GRACE_SECONDS", 900)
ADSCAN_SCHEDULER_WORKERS = config.get_int("SCHEDULER_WORKERS", 4)
ADSCAN_SCHEDULER_CRAWL_COMMAND = str(config.get("SCHEDULER_CRAWL_COMMAND", ""))
ADSCAN_SCHEDULER_PROCESS_COMMAND = str(config.get("SCHEDULER_PROCESS_COMMAND", ""))
ADSCAN_SCHEDULER_PROCESS_AFTER_CRAWL = config.get_bool("SCHEDULER_PROCESS_AFTER_CRAWL", True)
ADSCAN_SCHEDULER_PROCESS_TIMEOUT = config.get_int("SCHEDULER_PROCESS_TIMEOUT", 3 * 3600)
ADSCAN_SCHEDULER_RETRY_BASE_SECONDS = config.get_int("SCHEDULER_RETRY_BASE_SECONDS", 300)
ADSCAN_SCHEDULER_KILL_GRACE_SECONDS = config.get_int("SCHEDULER_KILL_GRACE_SECONDS", 10)
ADSCAN_SCHEDULER_PURGE_CRON = str(config.get("SCHEDULER_PURGE_CRON", "30 4 * * *"))
ADSCAN_SCHEDULER_RETRAIN = config.get_bool("SCHEDULER_RETRAIN", False)
ADSCAN_SCHEDULER_RETRAIN_MIN_DECISIONS = config.get_int("SCHEDULER_RETRAIN_MIN_DECISIONS", 200)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
