"""Settings read from the environment or a ``.env`` file."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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

    webhook_verify_token: SecretStr = SecretStr("development-only-secret")
    whatsapp_app_secret: SecretStr = SecretStr("development-only-secret")
    jwt_secret: SecretStr = SecretStr("development-only-secret")
    encryption_key: SecretStr = SecretStr("development-only-secret")
    jwt_expire_hours: float = Field(default=24.0, gt=0)

    # The original single-number configuration; when both are set, a channel
    # with this phone number id is created or updated at start-up.
    whatsapp_token: SecretStr | None = None
    whatsapp_phone_id: str | None = None
    whatsapp_waba_id: str | None = None
    whatsapp_phone_number: str | None = None

    # node_modules folder where `npm ci` put the browser libraries.
    web_vendor_dir: Path = Path(__file__).resolve().parent.parent / "node_modules"

    log_level: str = "INFO"
    log_json: bool | None = None
    timezone: str = "America/Sao_Paulo"
    run_migrations_on_start: bool = True
    background_sweep_seconds: float = Field(default=5.0, gt=0)
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


@lru_cache
def get_settings() -> Settings:
    return Settings()
