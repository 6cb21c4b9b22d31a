"""Zhixiao settings. Everything deployment-specific comes from the environment (or a local .env file).

Required in production: ZX_SECRET_KEY, ZX_FIELD_KEY (field encryption), DATABASE_URL, ZX_ALLOWED_HOSTS.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env")


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("ZX_DEBUG", False)
SECRET_KEY = os.environ.get("ZX_SECRET_KEY", "")
if not SECRET_KEY:
    raise RuntimeError("ZX_SECRET_KEY 未设置：运行 make env 生成本地 .env，或在环境变量中提供。")
# 32-byte base64 key for personal-data encryption; never stored in the repository.
FIELD_ENCRYPTION_KEY = os.environ.get("ZX_FIELD_KEY", "")
ALLOWED_HOSTS = [h for h in os.environ.get("ZX_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("ZX_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "core",
    "roster",
    "exams",
    "timetable",
    "notices",
    "homeschool",
    "oa",
    "knowledge",
    "resources",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "core.middleware.RequestContextMiddleware",
    "core.middleware.IdleTimeoutMiddleware",
    "core.middleware.AdminMFAMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "zhixiao.urls"
WSGI_APPLICATION = "zhixiao.wsgi.application"

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
                "core.context_processors.shell",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'zhixiao.sqlite3'}"),
        conn_max_age=int(os.environ.get("ZX_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "core.auth_backends.PhoneBackend",  # parents log in with their mobile number
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "core.security.passwords.CharacterClassValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"

# Sessions: absolute lifetime of a working day; idle timeout enforced by IdleTimeoutMiddleware.
SESSION_COOKIE_AGE = 12 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
ZX_IDLE_TIMEOUT_SECONDS = int(os.environ.get("ZX_IDLE_TIMEOUT_SECONDS", str(30 * 60)))

# Login throttling (django-axes): 5 failures per username+IP lock the pair for 30 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("ZX_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.views.auth.lockout_response"
AXES_VERBOSE = False

OTP_TOTP_ISSUER = "智校 Zhixiao"

# HTTPS deployment: set ZX_HTTPS=1 behind a TLS-terminating proxy.
ZX_HTTPS = env_bool("ZX_HTTPS", False)
if ZX_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading binds the bureau's domain and every subdomain to HTTPS for good; opt in explicitly.
    SECURE_HSTS_PRELOAD = env_bool("ZX_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
MEDIA_ROOT = BASE_DIR / "var" / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("ZX_MANIFEST_STATIC", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# S3-compatible object storage (MinIO, OSS, COS, …) for uploaded files when a bucket is configured.
if os.environ.get("ZX_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["ZX_S3_BUCKET"],
            "endpoint_url": os.environ.get("ZX_S3_ENDPOINT") or None,
            "access_key": os.environ.get("ZX_S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("ZX_S3_SECRET_KEY") or None,
            "region_name": os.environ.get("ZX_S3_REGION") or None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    }

# Notification channels (core.notify): in-app always; email when an SMTP host is set; SMS / WeCom / DingTalk
# through webhooks when their URLs are set. Without SMTP, mail goes to the console (development).
EMAIL_HOST = os.environ.get("ZX_EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("ZX_EMAIL_PORT", "465"))
EMAIL_HOST_USER = os.environ.get("ZX_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("ZX_EMAIL_PASSWORD", "")
EMAIL_USE_SSL = env_bool("ZX_EMAIL_SSL", EMAIL_PORT == 465)
EMAIL_USE_TLS = not EMAIL_USE_SSL and env_bool("ZX_EMAIL_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("ZX_EMAIL_FROM", "智校 <noreply@localhost>")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
ZX_SMS_WEBHOOK_URL = os.environ.get("ZX_SMS_WEBHOOK_URL", "")
ZX_WECOM_WEBHOOK_URL = os.environ.get("ZX_WECOM_WEBHOOK_URL", "")
ZX_DINGTALK_WEBHOOK_URL = os.environ.get("ZX_DINGTALK_WEBHOOK_URL", "")

# Celery: eager (in-process) unless a broker is configured.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Without a broker, long jobs run in a background thread so pages can show their progress (core/jobs.py).
ZX_JOBS_IN_THREAD = env_bool("ZX_JOBS_IN_THREAD", CELERY_TASK_ALWAYS_EAGER)
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", None)
CELERY_TIMEZONE = TIME_ZONE
# Periodic work for a worker started with beat (``celery -A zhixiao worker -B``); without a broker, run
# ``manage.py notices_publish_due`` and ``manage.py notify_retry`` from cron every minute instead.
CELERY_BEAT_SCHEDULE = {
    "notices-publish-due": {"task": "notices.publish_due", "schedule": 60.0},
    "notify-retry-due": {"task": "notify.retry_due", "schedule": 60.0},
}
# A student's leave longer than this many school days goes on to the grade leader after the 班主任.
ZX_LEAVE_GRADE_LEADER_DAYS = int(os.environ.get("ZX_LEAVE_GRADE_LEADER_DAYS", "3"))
# Absolute links in e-mail / SMS notifications, e.g. https://edu.example.cn
ZX_SITE_URL = os.environ.get("ZX_SITE_URL", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "core.security.logging.RedactPersonalDataFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("ZX_LOG_LEVEL", "WARNING")},
    # without a broker, Celery's eager path still builds a (never used) broker connection, and kombu warns
    # that it has no hostname: not worth a line on every notice sent
    "loggers": {"kombu.connection": {"level": "ERROR"}} if CELERY_TASK_ALWAYS_EAGER else {},
}

ZX_PAGE_SIZE = 50
ZX_EXPORT_MAX_ROWS = int(os.environ.get("ZX_EXPORT_MAX_ROWS", "200000"))
