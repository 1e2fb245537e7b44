"""Configuration: read from the environment with safe defaults."""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEV_SECRET = "dev-only-not-secret"  # noqa: S105 - the placeholder production refuses


def database_url() -> str:
    """Return DATABASE_URL (PostgreSQL) or the embedded SQLite database in instance/."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'rehab_log.sqlite3'}"
    # Hosting platforms still hand out postgres:// URLs; psycopg 3 wants its own dialect name.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    """Settings shared by every environment, read from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
    SQLALCHEMY_DATABASE_URI = database_url()
    # hide_parameters: SQL errors in the logs never show the values sent (hashes, emails, notes).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
    # Logs (rehab_app/web/logs.py): "json" lines or readable "text"; a request at least this slow is
    # logged as slow_request (0: never).
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    SLOW_REQUEST_MS = int(os.environ.get("SLOW_REQUEST_MS", "1000"))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 30
    # A login lasts this long unused: hours, or days when "Keep me logged in" was ticked.
    SESSION_HOURS = int(os.environ.get("SESSION_HOURS", "12"))
    REMEMBER_DAYS = int(os.environ.get("REMEMBER_DAYS", "30"))
    WTF_CSRF_TIME_LIMIT = None  # a form left open through a slow, tiring day still submits
    MAX_CONTENT_LENGTH = 1024 * 1024
    # OWASP's minimum for scrypt: N=2^17, r=8, p=1 (about 0.3 s and 128 MiB per hash).
    PASSWORD_HASH_METHOD = "scrypt:131072:8:1"  # noqa: S105 - a method, not a password
    HSTS = False
    ASSETS_DEBUG = False
    ASSETS_AUTO_BUILD = True
    # Failed passwords in LOGIN_WINDOW_SECONDS before attempts are slowed down, per account
    # from one address, and per address; then waits double up to LOGIN_MAX_DELAY_SECONDS.
    LOGIN_LIMIT_PER_ACCOUNT = int(os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5"))
    LOGIN_LIMIT_PER_ADDRESS = int(os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "20"))
    LOGIN_WINDOW_SECONDS = int(os.environ.get("LOGIN_WINDOW_SECONDS", "900"))
    LOGIN_MAX_DELAY_SECONDS = int(os.environ.get("LOGIN_MAX_DELAY_SECONDS", "30"))
    # Number of proxies in front of the app whose X-Forwarded-For we trust (0: none).
    # Wrong link codes allowed in LINK_CODE_WINDOW_SECONDS, per person and per address.
    LINK_CODE_LIMIT_PER_PERSON = int(os.environ.get("LINK_CODE_LIMIT_PER_PERSON", "10"))
    LINK_CODE_LIMIT_PER_ADDRESS = int(os.environ.get("LINK_CODE_LIMIT_PER_ADDRESS", "30"))
    LINK_CODE_WINDOW_SECONDS = int(os.environ.get("LINK_CODE_WINDOW_SECONDS", "900"))
    # Days a deleted entry keeps its content (for undo and for devices that sync late);
    # `flask purge-deleted` then wipes it, leaving a tombstone.
    TOMBSTONE_DAYS = int(os.environ.get("TOMBSTONE_DAYS", "30"))
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # Outgoing mail (sign-up confirmation, password reset). No MAIL_SERVER: development prints
    # each email to the console, other modes log that one was not sent.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "1").lower() not in ("0", "false", "no", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "Rehab Log <no-reply@localhost>")
    # A password reset link works once, for this many minutes; a sign-up link for CONFIRM_HOURS.
    RESET_MINUTES = int(os.environ.get("RESET_MINUTES", "30"))
    CONFIRM_HOURS = int(os.environ.get("CONFIRM_HOURS", "48"))
    # Emails asked for in LOGIN_WINDOW_SECONDS: password resets per email and per address,
    # sign-ups per address; past that, the person is asked to wait.
    RESET_LIMIT_PER_EMAIL = int(os.environ.get("RESET_LIMIT_PER_EMAIL", "3"))
    RESET_LIMIT_PER_ADDRESS = int(os.environ.get("RESET_LIMIT_PER_ADDRESS", "10"))
    SIGNUP_LIMIT_PER_ADDRESS = int(os.environ.get("SIGNUP_LIMIT_PER_ADDRESS", "10"))
    # Passkeys: the site's domain (RP ID) and origin; empty means "as the request was addressed"
    # (right for local development; set both in production, e.g. example.org and
    # https://example.org, so that a changed Host header cannot move them).
    WEBAUTHN_RP_ID = os.environ.get("WEBAUTHN_RP_ID", "").strip()
    WEBAUTHN_ORIGIN = os.environ.get("WEBAUTHN_ORIGIN", "").strip().rstrip("/")
    # Web Push reminders: the server's VAPID private key (`flask reminders vapid-keys` makes
    # one), and the contact push services may write to about it (mailto: or https:).
    # Development makes a key of its own in instance/ when none is set; production refuses
    # to send reminders without one.
    VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY", "").strip()
    VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "").strip()
    VAPID_KEY_IN_INSTANCE = False
    # How long a push service keeps a reminder for a phone that is switched off (seconds).
    PUSH_TTL_SECONDS = int(os.environ.get("PUSH_TTL_SECONDS", "3600"))
    # Push endpoints must be https on one of these hosts (or a subdomain): the server posts
    # to the address a browser gives it, so it must not be any address at all.
    PUSH_SERVICE_HOSTS = tuple(
        h.strip()
        for h in os.environ.get(
            "PUSH_SERVICE_HOSTS",
            "fcm.googleapis.com,push.services.mozilla.com,push.apple.com,notify.windows.com",
        ).split(",")
        if h.strip()
    )


class DevelopmentConfig(Config):
    """Local development: assets served one file at a time."""

    DEBUG = True
    ASSETS_DEBUG = True
    # Development makes its own VAPID key once, in instance/ (production must be given one).
    # Not DEBUG: the flask command sets that from FLASK_DEBUG, so `make run` has it off.
    VAPID_KEY_IN_INSTANCE = True


class TestConfig(Config):
    """The test suite: its own database, CSRF on as in production."""

    TESTING = True
    SECRET_KEY = "test-secret"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    WTF_CSRF_ENABLED = True
    # A far cheaper cost keeps the suite's thousands of logins fast (3 ms a check here, against
    # 56 ms at 16384); stored hashes carry their own cost, and production's is tested apart.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"  # noqa: S105
    # Mail goes nowhere unless a test points MAIL_SERVER at its own SMTP server on loopback.
    MAIL_SERVER = ""
    MAIL_USE_TLS = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_FROM = "Rehab Log <no-reply@example.test>"
    VAPID_PRIVATE_KEY = ""
    # The push service stand-in of the tests listens on loopback, without TLS.
    PUSH_SERVICE_HOSTS = ("push.example.test", "127.0.0.1")
    PUSH_ALLOW_HTTP = True


class ProductionConfig(Config):
    """Production: secure cookies, HSTS, prebuilt assets and a real secret."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS = True
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    ASSETS_AUTO_BUILD = False

    @classmethod
    def check(cls) -> None:
        """Refuse to start without a real SECRET_KEY."""
        secret = os.environ.get("SECRET_KEY", "")
        if not secret or secret == DEV_SECRET or len(secret) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters "
                "in production (for example: python -c 'import secrets; "
                "print(secrets.token_hex(32))')."
            )
        cls.SECRET_KEY = secret


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
