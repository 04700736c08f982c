"""Settings read from the environment or a ``.env`` file."""

import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_DEFAULT_SECRET = "development-only-secret"  # noqa: S105 - a known placeholder
DEFAULT_GRAPH_API_URL = "https://graph.facebook.com/v23.0"

# Values that ship in examples and must never reach production.
PLACEHOLDER_SECRETS = frozenset(
    {
        "",
        "change-me",
        "changeme",
        "secret",
        "dev-secret",
        "development-only-secret",
        "your-secret-here",
        "seu_token_aqui",
        "sua-chave-secreta-jwt-aqui",
        "cenat_webhook_2024",
    }
)
MIN_SECRET_LENGTH = 16


class Settings(BaseSettings):
    """Every setting an operator can change, with development defaults."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("./data")
    database_url: str = ""
    graph_api_url: str = DEFAULT_GRAPH_API_URL
    graph_api_timeout_seconds: float = 15.0
    # Pauses before each retry of a throttled or 5xx Graph API call.
    graph_retry_delays_seconds: tuple[float, ...] = (0.5, 1.0, 2.0)

    webhook_verify_token: SecretStr = SecretStr(DEVELOPMENT_DEFAULT_SECRET)
    whatsapp_app_secret: SecretStr = SecretStr(DEVELOPMENT_DEFAULT_SECRET)
    jwt_secret: SecretStr = SecretStr(DEVELOPMENT_DEFAULT_SECRET)
    encryption_key: SecretStr = SecretStr(DEVELOPMENT_DEFAULT_SECRET)
    jwt_expire_hours: float = Field(default=24.0, gt=0)

    # Login throttling: failed logins counted over a sliding window, per
    # account (email) and per client address. The address limit is higher
    # because a whole office may share one address.
    login_throttle_window_minutes: float = Field(default=15.0, gt=0)
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=20, ge=1)

    # The original single-number configuration; when both are set, a channel
    # with this phone number id is created or updated at start-up.
    whatsapp_token: SecretStr | None = None
    whatsapp_phone_id: str | None = None
    whatsapp_waba_id: str | None = None
    whatsapp_phone_number: str | None = None

    # node_modules folder where `npm ci` put the browser libraries.
    web_vendor_dir: Path = Path(__file__).resolve().parent.parent / "node_modules"

    # Bearer token a Prometheus server sends to /metrics; without it only
    # direct loopback clients may scrape.
    metrics_token: SecretStr | None = None

    log_level: str = "INFO"
    log_json: bool | None = None
    timezone: str = "America/Sao_Paulo"
    run_migrations_on_start: bool = True
    background_sweep_seconds: float = Field(default=5.0, gt=0)
    # Pause before the first sweep of pending work after start-up.
    background_first_sweep_delay_seconds: float = Field(default=0.0, ge=0)

    @field_validator("metrics_token", "whatsapp_token", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"TIMEZONE {value!r} is not a known IANA time zone; "
                "use a name like America/Sao_Paulo."
            ) from exc
        return value

    # Inbound media downloads: the pause before the first retry, doubled after
    # each failure up to the maximum; how long a worker may hold a download
    # before another worker takes it over; how many run at once per process.
    media_retry_base_seconds: float = Field(default=30.0, gt=0)
    media_retry_max_seconds: float = Field(default=3600.0, gt=0)
    media_download_lease_seconds: float = Field(default=600.0, gt=0)
    media_max_concurrent_downloads: int = Field(default=4, ge=1)

    @field_validator("graph_api_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def resolved_database_url(self) -> str:
        """Return ``DATABASE_URL``, or a SQLite file under ``DATA_DIR`` when unset."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'cenat_hub.db').resolve()}"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def json_logs(self) -> bool:
        return self.is_production if self.log_json is None else self.log_json

    def secret_problems(self) -> list[str]:
        """List each required secret that is missing or still a placeholder."""
        required = {
            "WEBHOOK_VERIFY_TOKEN": self.webhook_verify_token,
            "WHATSAPP_APP_SECRET": self.whatsapp_app_secret,
            "JWT_SECRET": self.jwt_secret,
            "ENCRYPTION_KEY": self.encryption_key,
        }
        problems = []
        for name, secret in required.items():
            value = secret.get_secret_value().strip()
            if value.lower() in PLACEHOLDER_SECRETS:
                problems.append(
                    f"{name} is missing or a placeholder; set a random value."
                )
            elif len(value) < MIN_SECRET_LENGTH:
                problems.append(
                    f"{name} is shorter than {MIN_SECRET_LENGTH} characters; "
                    "set a longer random value."
                )
        return problems


DEVELOPMENT_SECRETS_FILE = "development-secrets.json"


def with_development_secrets(settings: Settings) -> Settings:
    """Replace unset internal secrets with random ones kept under ``DATA_DIR``.

    In development, ``JWT_SECRET`` and ``ENCRYPTION_KEY`` may be left unset; a
    publicly known default would let anyone sign an admin token, so each
    installation gets its own random values instead, stored with mode 0600.
    Production never reaches this: it refuses to start without real secrets.
    """
    names = ("jwt_secret", "encryption_key")
    unset = [
        name
        for name in names
        if getattr(settings, name).get_secret_value() == DEVELOPMENT_DEFAULT_SECRET
    ]
    if settings.is_production or not unset:
        return settings
    path = settings.data_dir / DEVELOPMENT_SECRETS_FILE
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    for name in unset:
        stored.setdefault(name, secrets.token_urlsafe(32))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(json.dumps(stored))
    return settings.model_copy(update={name: SecretStr(stored[name]) for name in unset})


@lru_cache
def get_settings() -> Settings:
    """Read settings from the environment and ``CENAT_HUB_ENV_FILE`` (default ``.env``)."""
    settings = Settings(_env_file=os.environ.get("CENAT_HUB_ENV_FILE", ".env"))
    return with_development_secrets(settings)
