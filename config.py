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
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 30
    WTF_CSRF_TIME_LIMIT = None  # a form left open through a slow, tiring day still submits
    MAX_CONTENT_LENGTH = 1024 * 1024
    # OWASP's minimum for scrypt: N=2^17, r=8, p=1 (about 0.3 s and 128 MiB per hash).
    PASSWORD_HASH_METHOD = "scrypt:131072:8:1"  # noqa: S105 - a method, not a password
    HSTS = False
    ASSETS_DEBUG = False
    ASSETS_AUTO_BUILD = True
    # Failed logins allowed in LOGIN_WINDOW_SECONDS, per account and per client address.
    LOGIN_LIMIT_PER_ACCOUNT = int(os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5"))
    LOGIN_LIMIT_PER_ADDRESS = int(os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "20"))
    LOGIN_WINDOW_SECONDS = int(os.environ.get("LOGIN_WINDOW_SECONDS", "900"))
    # Number of proxies in front of the app whose X-Forwarded-For we trust (0: none).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))


class DevelopmentConfig(Config):
    """Local development: assets served one file at a time."""

    DEBUG = True
    ASSETS_DEBUG = True


class TestConfig(Config):
    """The test suite: its own database, CSRF on as in production."""

    TESTING = True
    SECRET_KEY = "test-secret"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    WTF_CSRF_ENABLED = True
    # A cheaper cost keeps hundreds of test logins fast; stored hashes carry their own cost.
    PASSWORD_HASH_METHOD = "scrypt:16384:8:1"  # noqa: S105


class ProductionConfig(Config):
    """Production: secure cookies, HSTS, prebuilt assets and a real secret."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS = True
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
