import httpx
from pydantic import SecretStr
from sqlalchemy import select

from cenat_hub.app import create_app
from cenat_hub.config import Settings
from cenat_hub.models import Channel


async def test_startup_migrates_and_defines_configured_channel(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        whatsapp_token=SecretStr("sim-token-env"),
        whatsapp_phone_id="100000000000077",
        whatsapp_waba_id="200000000000077",
        background_sweep_seconds=3600,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        state = app.state.cenat
        async with state.session_factory() as session:
            channel = (await session.execute(select(Channel))).scalar_one()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://hub.test"
        ) as client:
            health = await client.get("/health")

    assert (tmp_path / "data" / "cenat_hub.db").exists()
    assert channel.phone_number_id == "100000000000077"
    assert channel.waba_id == "200000000000077"
    assert "sim-token-env" not in channel.whatsapp_token
    assert state.cipher.decrypt(channel.whatsapp_token) == "sim-token-env"
    assert health.json() == {"status": "ok"}
