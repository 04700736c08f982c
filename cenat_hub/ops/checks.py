"""``cenat-hub check``: validate configuration and environment before start."""

import shutil
import tempfile
from dataclasses import dataclass

import httpx
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from cenat_hub.config import Settings
from cenat_hub.db.migrate import alembic_config, current_revision_async
from cenat_hub.db.session import create_engine, create_session_factory
from cenat_hub.integrations.whatsapp.client import GraphClient
from cenat_hub.integrations.whatsapp.errors import GraphAPIError
from cenat_hub.models import Channel
from cenat_hub.security.crypto import TokenCipher
from cenat_hub.web.pages import VENDOR_FILES

OK = "ok"
WARN = "warn"
FAIL = "FAIL"


@dataclass
class CheckResult:
    name: str
    status: str
    detail: str


def _check_secrets(settings: Settings) -> list[CheckResult]:
    problems = settings.secret_problems()
    if not problems:
        return [CheckResult("secrets", OK, "all secrets set")]
    status = FAIL if settings.is_production else WARN
    return [CheckResult("secrets", status, problem) for problem in problems]


def _check_data_dir(settings: Settings) -> CheckResult:
    directory = settings.data_dir
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory):
            pass
    except OSError as exc:
        return CheckResult(
            "data_dir",
            FAIL,
            f"DATA_DIR {directory} is not writable ({exc.strerror}); fix its "
            "path or permissions.",
        )
    return CheckResult("data_dir", OK, f"{directory.resolve()} is writable")


def _check_tools(settings: Settings) -> list[CheckResult]:
    results = []
    if shutil.which("ffmpeg"):
        results.append(CheckResult("ffmpeg", OK, "found; voice notes are converted"))
    else:
        results.append(
            CheckResult(
                "ffmpeg",
                WARN,
                "not found; voice notes stay OGG (install the ffmpeg package)",
            )
        )
    missing = [
        name
        for name, (package, relative) in VENDOR_FILES.items()
        if not (settings.web_vendor_dir / package / relative).is_file()
    ]
    if missing:
        results.append(
            CheckResult(
                "web_assets",
                FAIL,
                f"missing {', '.join(missing)}; run `npm ci` in the project folder",
            )
        )
    else:
        results.append(
            CheckResult("web_assets", OK, "htmx and Swagger UI files installed")
        )
    return results


async def _check_database(settings: Settings) -> list[CheckResult]:
    url = settings.resolved_database_url
    engine = create_engine(url, connect_args=_connect_timeout(url))
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        await engine.dispose()
        return [
            CheckResult(
                "database",
                FAIL,
                f"cannot connect ({type(exc).__name__}); check DATABASE_URL "
                "and that the server runs",
            )
        ]
    await engine.dispose()
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    current = await current_revision_async(url)
    results = [CheckResult("database", OK, "reachable")]
    if current != head:
        results.append(
            CheckResult(
                "migrations",
                FAIL,
                f"database is at {current or 'base'}, code expects {head}; "
                "run `cenat-hub migrate`",
            )
        )
    else:
        results.append(CheckResult("migrations", OK, f"at {head}"))
    return results


def _connect_timeout(url: str) -> dict[str, float]:
    return {} if url.startswith("sqlite") else {"timeout": 5.0}


async def _check_channels(
    settings: Settings, graph_http: httpx.AsyncClient | None
) -> list[CheckResult]:
    engine = create_engine(settings.resolved_database_url)
    cipher = TokenCipher(settings.encryption_key.get_secret_value())
    graph = GraphClient(settings.graph_api_url, http_client=graph_http, retry_delays=())
    results = []
    try:
        async with create_session_factory(engine)() as session:
            channels = list(
                (
                    await session.execute(
                        select(Channel).where(Channel.is_active.is_(True))
                    )
                ).scalars()
            )
        if not channels:
            results.append(
                CheckResult("channels", WARN, "no active channel; add one in Canais")
            )
        for channel in channels:
            results.append(await _check_channel(graph, cipher, channel))
    finally:
        await graph.aclose()
        await engine.dispose()
    return results


async def _check_channel(
    graph: GraphClient, cipher: TokenCipher, channel: Channel
) -> CheckResult:
    name = f"channel {channel.id} ({channel.phone_number_id})"
    try:
        token = cipher.decrypt(channel.whatsapp_token)
    except ValueError as exc:
        return CheckResult(name, FAIL, str(exc))
    try:
        info = await graph.get_phone_number(channel.phone_number_id, token)
    except GraphAPIError as exc:
        return CheckResult(
            name, FAIL, f"Meta rejected the token: {exc}; replace it in Canais"
        )
    label = info.get("verified_name") or info.get("display_phone_number") or "accepted"
    return CheckResult(name, OK, f"token accepted ({label})")


async def run_checks(
    settings: Settings, graph_http: httpx.AsyncClient | None = None
) -> list[CheckResult]:
    results = _check_secrets(settings)
    results.append(_check_data_dir(settings))
    results += _check_tools(settings)
    database = await _check_database(settings)
    results += database
    if all(result.status == OK for result in database):
        results += await _check_channels(settings, graph_http)
    return results


def format_results(results: list[CheckResult]) -> str:
    width = max(len(result.name) for result in results)
    return "\n".join(
        f"{result.status:<4}  {result.name:<{width}}  {result.detail}"
        for result in results
    )


__all__ = ["CheckResult", "format_results", "run_checks"]
