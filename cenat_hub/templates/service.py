"""Template sends: the channel, the approved template, its values and the recipient.

A template can be sent inside or outside the 24-hour window, and it is the only
way to start a conversation. Everything that can be checked before calling
Meta is checked here, so a bad value comes back as a 400 naming its field
rather than as a failed message.
"""

from typing import TYPE_CHECKING

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.channels.service import get_channel
from cenat_hub.contacts.identity import (
    IdentityClaims,
    find_contact_by_any_id,
    find_or_create_contact,
)
from cenat_hub.contacts.phone import InvalidPhoneNumberError, normalize_typed_number
from cenat_hub.conversations.service import get_or_create_conversation
from cenat_hub.db.session import unit_of_work
from cenat_hub.db.types import utcnow
from cenat_hub.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from cenat_hub.i18n import gettext
from cenat_hub.messages import sending
from cenat_hub.models import (
    Channel,
    Contact,
    Message,
    MessageTemplate,
    User,
    UserChannel,
)
from cenat_hub.models.message import DIRECTION_OUTBOUND, STATUS_FAILED, STATUS_PENDING
from cenat_hub.templates import queries, sync
from cenat_hub.templates.components import (
    FieldProblem,
    TemplateStructure,
    check_values,
    prepare_send,
)
from cenat_hub.templates.schemas import SendTemplateRequest, structure_of

if TYPE_CHECKING:
    from cenat_hub.web.state import AppState

log = structlog.get_logger(__name__)

# Meta error codes that show the cached copy of a template is out of date.
_STATUS_FROM_ERROR = {132015: "PAUSED", 132016: "DISABLED"}
_OUTDATED_CACHE_ERRORS = frozenset({132000, 132001, 132008, 132012})


class TemplateNotFoundError(NotFoundError):
    code = "template_not_found"


class TemplateNotApprovedError(ConflictError):
    code = "template_not_approved"


class TemplateUnsupportedError(ConflictError):
    code = "template_unsupported"


class TemplateValuesError(InvalidInputError):
    """Values that Meta would reject; ``details.fields`` maps each field to a
    Portuguese explanation."""

    code = "invalid_template_values"

    @classmethod
    def from_problems(cls, problems: list[FieldProblem]) -> "TemplateValuesError":
        message = problems[0].message
        if len(problems) > 1:
            message += f" {len(problems) - 1} more problem(s) are listed in details."
        return cls(
            message,
            fields={problem.key: problem.portuguese for problem in problems},
            problems=[problem.message for problem in problems],
        )


async def channel_for_templates(
    session: AsyncSession, user: User, channel_id: int
) -> Channel:
    """Return an active channel with a WABA id that the user may send from."""
    channel = await get_channel(session, channel_id)
    if not channel.is_active:
        raise ConflictError(
            f"Channel {channel.id} is deactivated; choose an active channel."
        )
    if not channel.waba_id:
        raise ConflictError(
            f"Channel {channel.id} has no waba_id; set the WhatsApp Business Account "
            "id of the channel to list its templates."
        )
    await _check_channel_access(session, user, channel)
    return channel


async def _check_channel_access(
    session: AsyncSession, user: User, channel: Channel
) -> None:
    """Apply ``user_channels``: an agent with rows there may use only those channels."""
    if user.is_admin:
        return
    statement = select(UserChannel.channel_id).where(UserChannel.user_id == user.id)
    allowed = set((await session.execute(statement)).scalars())
    if allowed and channel.id not in allowed:
        raise PermissionDeniedError(
            f"User {user.id} has no access to channel {channel.id}."
        )


def channel_token(state: "AppState", channel: Channel) -> str:
    return state.cipher.decrypt(channel.whatsapp_token)


async def approved_templates(
    state: "AppState", channel: Channel, *, refresh: bool = False
) -> list[MessageTemplate]:
    """Return the APPROVED templates of the channel's WABA, refreshing a stale cache.

    Call it with no transaction open: it may call Meta.
    """
    assert channel.waba_id is not None
    templates = await sync.load_templates(
        state, channel.waba_id, channel_token(state, channel), refresh=refresh
    )
    return [t for t in templates if t.status == sync.STATUS_APPROVED]


async def ensure_fresh_cache(state: "AppState", channel: Channel) -> None:
    """List the WABA's templates again if its cache is stale; call with no transaction open."""
    await approved_templates(state, channel)


async def sendable_template(
    session: AsyncSession, channel: Channel, name: str, language: str
) -> tuple[MessageTemplate, TemplateStructure]:
    """Return a cached, approved template this service can fill."""
    assert channel.waba_id is not None
    template = await queries.find_template(session, channel.waba_id, name, language)
    if template is None:
        raise TemplateNotFoundError(
            f"Template {name} ({language}) not found among the templates of channel "
            f"{channel.id}; check the name and language or refresh the list."
        )
    if template.status != sync.STATUS_APPROVED:
        raise TemplateNotApprovedError(
            f"Template {name} ({language}) is {template.status}; only APPROVED "
            "templates can be sent.",
            status=template.status,
        )
    structure = structure_of(template)
    if structure.unsupported_reason:
        raise TemplateUnsupportedError(
            f"Template {name} ({language}) cannot be sent from here: "
            f"{structure.unsupported_reason}.",
        )
    return template, structure


def request_values(
    structure: TemplateStructure, request: SendTemplateRequest
) -> dict[str, str]:
    """Return the values by field key, accepting ``parameters`` as body values in order."""
    if request.values or request.parameters is None:
        return request.text_values()
    body_keys = [f"body.{name}" for name in structure.body_variables]
    if len(request.parameters) != len(body_keys):
        raise TemplateValuesError(
            f"parameters has {len(request.parameters)} values but template "
            f"{structure.name} has {len(body_keys)} body variables.",
            fields={"parameters": "Quantidade de variáveis diferente da do template."},
        )
    return {
        key: value.strip()
        for key, value in zip(body_keys, request.parameters, strict=True)
    }


async def recipient_contact(
    session: AsyncSession, request: SendTemplateRequest, channel: Channel
) -> Contact:
    """Find the contact the agent named, or create it from the typed number.

    Both Brazilian forms of a mobile (with and without the ninth digit) lead to
    the same contact.
    """
    if request.wa_id:
        contact = await find_contact_by_any_id(session, request.wa_id)
        if contact is not None:
            if request.name and not contact.name:
                contact.name = request.name
            return contact
        if not request.wa_id.isdigit():
            raise NotFoundError(f"Contact {request.wa_id} not found.")
    typed = request.wa_id or request.phone or ""
    try:
        digits = normalize_typed_number(typed)
    except InvalidPhoneNumberError as exc:
        raise InvalidInputError(
            str(exc),
            fields={
                "phone": gettext(
                    "Invalid number. Type it with the area code, "
                    "for example (11) 98765-4321."
                )
            },
        ) from exc
    claims = IdentityClaims(phone=digits, name=request.name)
    contact = await find_or_create_contact(session, claims, channel.id)
    assert contact is not None
    return contact


async def queue_template(
    session: AsyncSession, user: User, request: SendTemplateRequest, channel: Channel
) -> tuple[Message, bool]:
    """Check a template send and store it as pending; return it and whether it is new.

    A request whose ``client_message_id`` was seen before returns the earlier
    message, so a double click never sends twice.
    """
    existing = await sending.existing_send(session, request.client_message_id)
    if existing is not None:
        return existing, False
    _template, structure = await sendable_template(
        session, channel, request.template_name, request.language
    )
    values = request_values(structure, request)
    problems = check_values(structure, values, request.header_media_id)
    if problems:
        raise TemplateValuesError.from_problems(problems)
    prepared = prepare_send(structure, values, request.header_media_id)

    contact = await recipient_contact(session, request, channel)
    conversation = await get_or_create_conversation(
        session, channel.id, contact.id, lock=True
    )
    message = Message(
        client_message_id=request.client_message_id,
        channel_id=channel.id,
        contact_id=contact.id,
        conversation_id=conversation.id,
        contact_wa_id=conversation.recipient_wa_id or contact.wa_id,
        direction=DIRECTION_OUTBOUND,
        message_type="template",
        content=prepared.body_text,
        template=prepared.rendered,
        timestamp=utcnow(),
        status=STATUS_PENDING,
        sent_by_user_id=user.id,
    )
    return await sending.store_pending(session, conversation, message)


async def note_send_outcome(
    state: "AppState", channel: Channel, message: Message
) -> None:
    """Correct the cache when Meta's error shows it is out of date.

    A paused or disabled template takes that status at once; a mismatch of
    parameters or a missing translation makes the next read list the
    templates again.
    """
    code = message.error_code
    if message.status != STATUS_FAILED or code is None or not channel.waba_id:
        return
    template = message.template or {}
    async with unit_of_work(state.session_factory) as session:
        if code in _STATUS_FROM_ERROR:
            await sync.set_status(
                session,
                channel.waba_id,
                _STATUS_FROM_ERROR[code],
                name=template.get("name"),
                language=template.get("language"),
            )
        elif code in _OUTDATED_CACHE_ERRORS:
            await sync.expire_cache(session, channel.waba_id)
    log.info("templates.send_rejected", message_id=message.id, code=code)
