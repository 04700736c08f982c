"""The ``cenat-hub`` command: serve, migrate, create-admin and demo."""

import asyncio
import getpass
import secrets
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

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
def check() -> None:
    """Check configuration and environment; print what to fix (exit 1 on a failure)."""
    from cenat_hub.ops.checks import FAIL, format_results, run_checks

    settings = get_settings()
    results = asyncio.run(run_checks(settings))
    typer.echo(format_results(results))
    if any(result.status == FAIL for result in results):
        raise typer.Exit(code=1)


webhooks_app = typer.Typer(help="The archive of webhook bodies received from Meta.")
app.add_typer(webhooks_app, name="webhooks")


@webhooks_app.command("list")
def webhooks_list(
    state: Annotated[
        str | None, typer.Option(help="pending, processed or failed; all when omitted.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Rows to show.")] = 50,
) -> None:
    """List archived deliveries, newest first."""
    from cenat_hub.webhook.archive import list_deliveries

    async def run() -> None:
        async with _session() as session:
            rows = await list_deliveries(session, state, limit)
        for row in rows:
            error = f"  {row.last_error[:80]}" if row.last_error else ""
            typer.echo(
                f"{row.id:>8}  {row.state:<9}  attempts={row.attempts}  {row.size:>8} B  "
                f"{row.received_at:%Y-%m-%d %H:%M:%S}Z{error}"
            )

    _run_cli(run())


@webhooks_app.command("reprocess")
def webhooks_reprocess(
    delivery_id: Annotated[
        int | None,
        typer.Argument(help="One delivery id; every failed one when omitted."),
    ] = None,
    include_processed: Annotated[
        bool, typer.Option(help="Also reprocess deliveries already processed.")
    ] = False,
) -> None:
    """Process failed (or chosen) deliveries again; the result is the same as the first time."""
    from cenat_hub.db.session import unit_of_work
    from cenat_hub.webhook.archive import mark_for_reprocessing
    from cenat_hub.webhook.worker import WebhookWorker

    async def run() -> None:
        async with _session_factory() as factory:
            async with unit_of_work(factory) as session:
                ids = await mark_for_reprocessing(
                    session, delivery_id, include_processed
                )

            async def discard(_events: object) -> None:
                return None

            worker = WebhookWorker(factory, discard)
            for found in ids:
                await worker.process(found)
        typer.echo(f"Reprocessed {len(ids)} deliveries.")

    _run_cli(run())


@webhooks_app.command("prune")
def webhooks_prune(
    older_than_days: Annotated[
        int,
        typer.Option(
            min=1, help="Delete processed deliveries older than this many days."
        ),
    ] = 30,
) -> None:
    """Delete processed deliveries older than the given age."""
    from datetime import timedelta

    from cenat_hub.db.session import unit_of_work
    from cenat_hub.webhook.archive import prune_processed

    async def run() -> None:
        async with _session_factory() as factory, unit_of_work(factory) as session:
            removed = await prune_processed(session, timedelta(days=older_than_days))
        typer.echo(
            f"Deleted {removed} processed deliveries older than {older_than_days} days."
        )

    _run_cli(run())


@asynccontextmanager
async def _session_factory() -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Yield a session factory on the configured database; dispose of it afterwards."""
    from cenat_hub.db.session import create_engine, create_session_factory

    engine = create_engine(get_settings().resolved_database_url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def _session() -> AsyncIterator[AsyncSession]:
    async with _session_factory() as factory, factory() as session:
        yield session


def _run_cli(work: Coroutine[object, object, None]) -> None:
    """Run a command's coroutine and turn an expected error into a message and exit 1."""
    from cenat_hub.errors import CenatHubError

    try:
        asyncio.run(work)
    except CenatHubError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(code=1) from exc


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
