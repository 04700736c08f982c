"""``cenat-hub demo``: the hub and the Cloud API simulator in one process."""

import asyncio
import contextlib
import secrets
from dataclasses import dataclass
from pathlib import Path

import structlog
import uvicorn
from pydantic import SecretStr
from sqlalchemy import select

from cenat_hub.app import create_app
from cenat_hub.auth.service import create_user, find_user_by_email
from cenat_hub.channels.schemas import ChannelCreate
from cenat_hub.channels.service import create_channel
from cenat_hub.config import Settings
from cenat_hub.db.migrate import upgrade_in_thread
from cenat_hub.db.session import create_engine, create_session_factory, unit_of_work
from cenat_hub.models import Channel
from cenat_hub.security.crypto import TokenCipher
from cenat_hub.security.passwords import hash_password
from cenat_hub.simulator.app import create_simulator_app
from cenat_hub.simulator.config import SimulatorConfig, demo_config
from cenat_hub.simulator.leads import LeadPlayer

log = structlog.get_logger(__name__)

DEMO_ADMIN_EMAIL = "admin@demo.invalid"
HOST = "127.0.0.1"


@dataclass
class DemoOptions:
    port: int
    simulator_port: int
    data_dir: Path
    lead_interval_seconds: float
    admin_password: str


def demo_settings(options: DemoOptions, app_secret: str) -> Settings:
    """Settings of a demo run: SQLite under the data folder, Graph calls to the simulator."""
    database = (options.data_dir / "cenat_hub.db").resolve()
    return Settings(
        _env_file=None,
        environment="development",
        data_dir=options.data_dir,
        database_url=f"sqlite+aiosqlite:///{database}",
        graph_api_url=f"http://{HOST}:{options.simulator_port}/v23.0",
        whatsapp_app_secret=SecretStr(app_secret),
        webhook_verify_token=SecretStr(secrets.token_urlsafe(16)),
        jwt_secret=SecretStr(secrets.token_urlsafe(32)),
        encryption_key=SecretStr("demo-encryption-key-not-for-production"),
    )


async def _prepare_database(
    settings: Settings, simulator: SimulatorConfig, password: str
) -> None:
    """Create the demo admin (or reset its password) and the simulator's numbers as channels."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    await upgrade_in_thread(settings.resolved_database_url)
    engine = create_engine(settings.resolved_database_url)
    cipher = TokenCipher(settings.encryption_key.get_secret_value())
    try:
        async with unit_of_work(create_session_factory(engine)) as session:
            admin = await find_user_by_email(session, DEMO_ADMIN_EMAIL)
            if admin is None:
                await create_user(
                    session,
                    name="Admin Demo",
                    email=DEMO_ADMIN_EMAIL,
                    password=password,
                    role="admin",
                )
            else:
                admin.password_hash = hash_password(password)
                admin.is_active = True
            names = ["Pós-Graduação (SDR)", "Cursos Livres"]
            for number, name in zip(simulator.numbers, names, strict=False):
                statement = select(Channel).where(
                    Channel.phone_number_id == number.phone_number_id
                )
                if (await session.execute(statement)).scalar_one_or_none() is None:
                    await create_channel(
                        session,
                        cipher,
                        ChannelCreate(
                            name=name,
                            phone_number="".join(
                                filter(str.isdigit, number.display_phone_number)
                            ),
                            phone_number_id=number.phone_number_id,
                            waba_id=number.waba_id,
                            whatsapp_token=number.access_token,
                        ),
                    )
    finally:
        await engine.dispose()


def _server(app: object, port: int) -> uvicorn.Server:
    config = uvicorn.Config(app, host=HOST, port=port, log_config=None, lifespan="on")
    return uvicorn.Server(config)


async def run_demo(options: DemoOptions) -> None:
    app_secret = secrets.token_urlsafe(24)
    settings = demo_settings(options, app_secret)
    simulator_config = demo_config(
        hub_webhook_url=f"http://{HOST}:{options.port}/webhook",
        app_secret=app_secret,
        public_base_url=f"http://{HOST}:{options.simulator_port}",
    )
    await _prepare_database(settings, simulator_config, options.admin_password)
    hub = create_app(settings)
    simulator = create_simulator_app(simulator_config)
    hub_server = _server(hub, options.port)
    simulator_server = _server(simulator, options.simulator_port)
    _print_banner(options)

    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(simulator_server.serve()),
        asyncio.create_task(hub_server.serve()),
    ]
    while not (hub_server.started and simulator_server.started):
        if any(task.done() for task in tasks):
            break
        await asyncio.sleep(0.05)
    player = LeadPlayer(
        simulator.state.simulator, interval_seconds=options.lead_interval_seconds
    )
    player_task = asyncio.create_task(player.run(stop))
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.set()
        hub_server.should_exit = True
        simulator_server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(player_task, *tasks, return_exceptions=True)


def _print_banner(options: DemoOptions) -> None:
    lines = [
        "",
        "Cenat Hub demo",
        f"  Panel:      http://{HOST}:{options.port}/login",
        f"  E-mail:     {DEMO_ADMIN_EMAIL}",
        f"  Password:   {options.admin_password}",
        f"  API docs:   http://{HOST}:{options.port}/docs",
        f"  Simulator:  http://{HOST}:{options.simulator_port} (fake leads write every "
        f"{options.lead_interval_seconds:g} s)",
        "  Stop with Ctrl+C.",
        "",
    ]
    print("\n".join(lines), flush=True)
