"""The ``cenat-hub`` command: serve, migrate, create-admin and demo."""

import asyncio
import getpass
import secrets
from pathlib import Path
from typing import Annotated

import typer

from cenat_hub.config import Settings, get_settings
from cenat_hub.logging import configure_logging

app = typer.Typer(
    help="Cenat Hub: a shared WhatsApp inbox and lead CRM.", no_args_is_help=True
)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Run the web service (migrations are applied at start)."""
    import uvicorn

    settings = get_settings()
    if workers > 1 and settings.resolved_database_url.startswith("sqlite"):
        typer.echo(
            "Several workers need PostgreSQL; set DATABASE_URL=postgresql+asyncpg://... "
            "or run one worker.",
            err=True,
        )
        raise typer.Exit(code=2)
    uvicorn.run(
        "cenat_hub.app:create_default_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_config=None,
        timeout_graceful_shutdown=10,
    )


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    down: Annotated[
        bool, typer.Option("--down", help="Downgrade to REVISION.")
    ] = False,
) -> None:
    """Upgrade the database to REVISION (default: the latest), or downgrade with --down."""
    from cenat_hub.db.migrate import current_revision, downgrade, upgrade

    settings = get_settings()
    configure_logging(settings.log_level, settings.json_logs)
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    if down:
        downgrade(url, revision)
    else:
        upgrade(url, revision)
    typer.echo(f"Database is at revision {current_revision(url) or 'base (empty)'}.")


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True, help="Login e-mail.")],
    name: Annotated[str, typer.Option(prompt=True, help="Display name.")],
    password: Annotated[
        str | None,
        typer.Option(
            help="Password; asked for without echo when omitted.", show_default=False
        ),
    ] = None,
) -> None:
    """Create an admin account (the first one, or another)."""
    if password is None:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat password: "):
            typer.echo("Passwords differ; nothing was created.", err=True)
            raise typer.Exit(code=1)
    settings = get_settings()
    user_id = asyncio.run(
        _create_admin(settings, email=email, name=name, password=password)
    )
    typer.echo(f"Admin {email} created (user {user_id}).")


async def _create_admin(
    settings: Settings, *, email: str, name: str, password: str
) -> int:
    from cenat_hub.auth.service import create_user
    from cenat_hub.db.migrate import upgrade_in_thread
    from cenat_hub.db.session import create_engine, create_session_factory, unit_of_work
    from cenat_hub.errors import CenatHubError

    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    await upgrade_in_thread(url)
    engine = create_engine(url)
    try:
        async with unit_of_work(create_session_factory(engine)) as session:
            user = await create_user(
                session, name=name, email=email, password=password, role="admin"
            )
            return user.id
    except CenatHubError as exc:
        typer.echo(f"Cannot create admin: {exc.message}", err=True)
        raise typer.Exit(code=1) from exc
    finally:
        await engine.dispose()


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port of the hub.")] = 8000,
    simulator_port: Annotated[
        int, typer.Option(help="Port of the Cloud API simulator.")
    ] = 8100,
    data_dir: Annotated[
        Path, typer.Option(help="Folder for the demo database.")
    ] = Path("./data/demo"),
    lead_interval: Annotated[
        float, typer.Option(help="Seconds between messages of the fake leads.")
    ] = 6.0,
) -> None:
    """Run the hub on SQLite with the Cloud API simulator and fake leads writing in."""
    from cenat_hub.demo import DemoOptions, run_demo

    configure_logging("INFO", json_logs=False)
    options = DemoOptions(
        port=port,
        simulator_port=simulator_port,
        data_dir=data_dir,
        lead_interval_seconds=lead_interval,
        admin_password=secrets.token_urlsafe(9),
    )
    asyncio.run(run_demo(options))


if __name__ == "__main__":
    app()
