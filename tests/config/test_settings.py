import pytest
from pydantic import SecretStr

from cenat_hub.app import StartupError, check_startup_settings, create_app
from cenat_hub.config import Settings

STRONG = SecretStr("a-long-random-secret-value-123456")


def _production(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "production",
        "webhook_verify_token": STRONG,
        "whatsapp_app_secret": STRONG,
        "jwt_secret": STRONG,
        "encryption_key": STRONG,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_production_with_strong_secrets_starts() -> None:
    check_startup_settings(_production())


@pytest.mark.parametrize(
    ("field", "name"),
    [
        ("webhook_verify_token", "WEBHOOK_VERIFY_TOKEN"),
        ("whatsapp_app_secret", "WHATSAPP_APP_SECRET"),
        ("jwt_secret", "JWT_SECRET"),
        ("encryption_key", "ENCRYPTION_KEY"),
    ],
)
@pytest.mark.parametrize("value", ["", "change-me", "short"])
def test_production_refuses_weak_secret(field: str, name: str, value: str) -> None:
    settings = _production(**{field: SecretStr(value)})
    with pytest.raises(StartupError) as caught:
        create_app(settings)
    assert name in str(caught.value)


def test_development_accepts_defaults() -> None:
    check_startup_settings(Settings(_env_file=None))


def test_default_database_is_sqlite_under_data_dir(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(_env_file=None, data_dir=tmp_path)
    assert (
        settings.resolved_database_url
        == f"sqlite+aiosqlite:///{tmp_path / 'cenat_hub.db'}"
    )


def test_original_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATSAPP_TOKEN", "sim-token-9")
    monkeypatch.setenv("WHATSAPP_PHONE_ID", "100000000000009")
    settings = Settings(_env_file=None)
    assert settings.whatsapp_phone_id == "100000000000009"
    assert settings.whatsapp_token is not None
    assert settings.whatsapp_token.get_secret_value() == "sim-token-9"
