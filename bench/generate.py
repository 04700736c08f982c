"""Fill a Cenat Hub database with realistic data for the benchmarks.

Runs the migrations, then writes channels, users, contacts (Brazilian numbers,
some in the old 12-digit form, accented names), conversations, messages of
every type with their statuses, media files and CRM fields, spread over the
last ``--days`` days. Rows carry the derived columns the application keeps
(folded search text, last-message fields, unread counts, and the dashboard's
waits, rebuilt from the messages at the end), so the pages read them as they
read rows written by webhooks.

    python bench/generate.py --database-url sqlite+aiosqlite:////tmp/bench.db
    python bench/generate.py --database-url \
        postgresql+asyncpg://postgres@127.0.0.1:5432/bench --contacts 1000

PostgreSQL rows go in with COPY (asyncpg), SQLite rows with executemany.
The database must be empty (freshly created or just migrated).
"""

import argparse
import asyncio
import hashlib
import json
import random
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from cenat_hub.contacts.phone import match_key
from cenat_hub.conversations.service import message_preview
from cenat_hub.conversations.waits import rebuild_all_statements
from cenat_hub.db.folding import fold_for_search
from cenat_hub.db.migrate import upgrade
from cenat_hub.models.contact import NOVO_BIT, status_bit
from cenat_hub.models.message import message_search_text
from cenat_hub.security.crypto import TokenCipher
from cenat_hub.security.passwords import hash_password

BENCH_PASSWORD = "bench-password-123"
ADMIN_EMAIL = "admin@bench.invalid"
# Not the development placeholder: the app swaps that one for a random key.
DEFAULT_ENCRYPTION_KEY = "bench-encryption-key-0123456789"

FIRST_NAMES = (
    "Ana", "João", "Maria", "José", "Antônio", "Francisca", "Luís", "Márcia",
    "Paulo", "Conceição", "Gabriela", "Lúcia", "Sérgio", "Patrícia", "André",
    "Fátima", "Vitória", "Caio", "Júlia", "Raí", "Estêvão", "Inês", "Cláudio",
    "Débora", "Sebastião", "Letícia", "Renê", "Mônica", "Tânia", "Ígor",
)  # fmt: skip
LAST_NAMES = (
    "Teste", "Silva", "Araújo", "Gonçalves", "Conceição", "Fagundes",
    "Simões", "Magalhães", "Brandão", "Falcão", "Guimarães", "Assunção",
    "Patrício", "Romão", "Estevão", "Lemos", "Damião", "Peçanha", "Sá",
)  # fmt: skip
AREA_CODES = ("11", "21", "31", "41", "51", "61", "71", "81", "85", "91", "27", "48")
PHRASES = (
    "Olá, gostaria de saber mais sobre a pós-graduação em saúde mental",
    "Qual é o valor da matrícula?",
    "Vocês têm curso de especialização à distância?",
    "Bom dia! Ainda há vagas para a turma de março?",
    "Não consegui acessar o boleto, podem reenviar?",
    "Obrigado pela atenção, vou conversar com a família e retorno.",
    "Qual a duração do curso e o horário das aulas?",
    "Preciso do certificado de conclusão, como faço?",
    "Aceitam pagamento via Pix ou cartão de crédito?",
    "Sim, tenho interesse na formação em psicanálise.",
    "Pode me ligar amanhã à tarde?",
    "Segue o comprovante de pagamento.",
    "Essa promoção vale até quando?",
    "Meu nome está correto na inscrição? É com acento: Conceição.",
    "A certificação é reconhecida pelo MEC?",
)
REPLIES = (
    "Olá! Tudo bem? A pós-graduação tem 12 meses de duração.",
    "Claro! Vou te enviar a proposta com os valores atualizados.",
    "As aulas são gravadas e ficam disponíveis na plataforma.",
    "Sim, aceitamos Pix, boleto e cartão em até 12 vezes.",
    "Reenviei o boleto, confira por favor.",
    "Perfeito, sua matrícula está confirmada. Parabéns!",
    "Posso te ligar às 15h para explicar melhor?",
    "O certificado é emitido em até 30 dias após a conclusão.",
)
TAGS = (
    ("Pós-graduação", "blue"),
    ("Formação", "green"),
    ("Urgente", "red"),
    ("Indicação", "purple"),
    ("Evento", "orange"),
    ("Retorno", "gray"),
)
LEAD_STATUS_WEIGHTS = (
    ("novo", 40),
    ("contato", 25),
    ("qualificado", 15),
    ("matriculado", 10),
    ("perdido", 10),
)
# Written only when the migrations' own reasons were deleted.
LOST_REASONS = ("Preço", "Sem resposta", "Escolheu outra instituição")
STATUS_PATH = ("novo", "contato", "qualificado", "matriculado")
INBOUND_TYPES = (
    ("text", 760),
    ("image", 60),
    ("audio", 60),
    ("document", 25),
    ("video", 20),
    ("sticker", 15),
    ("location", 8),
    ("contacts", 8),
    ("interactive", 12),
    ("button", 10),
    ("reaction", 15),
    ("order", 3),
    ("system", 2),
    ("unsupported", 2),
)
OUTBOUND_TYPES = (("text", 880), ("template", 60), ("image", 30), ("document", 30))
MEDIA_KINDS = {
    "image": ("image/jpeg", None),
    "audio": ("audio/ogg; codecs=opus", None),
    "document": ("application/pdf", "Proposta Pós-Graduação.pdf"),
    "video": ("video/mp4", None),
    "sticker": ("image/webp", None),
}
MEDIA_CAPTIONS = ("Segue a foto do documento", "Comprovante", None, None)

# Column order of every table written; values are built in this order.
CHANNEL_COLUMNS = (
    "id", "name", "phone_number", "phone_number_id", "waba_id", "whatsapp_token",
    "is_active", "created_at", "updated_at",
)  # fmt: skip
USER_COLUMNS = (
    "id", "name", "email", "password_hash", "role", "is_active", "token_version",
    "locale", "created_at",
)  # fmt: skip
CONTACT_COLUMNS = (
    "id", "wa_id", "name", "user_id", "username", "search_name", "lead_status",
    "reached_statuses", "notes", "notes_updated_at", "notes_updated_by_id", "lost_reason_id",
    "lost_reason_text", "status_changed_at", "channel_id", "last_message_at",
    "created_at", "updated_at",
)  # fmt: skip
IDENTITY_COLUMNS = ("id", "contact_id", "kind", "value", "created_at")
CONVERSATION_COLUMNS = (
    "id", "channel_id", "contact_id", "recipient_wa_id", "last_inbound_at",
    "last_message_at", "last_message_preview", "last_message_direction",
    "unread_count", "assignee_id", "created_at", "updated_at",
)  # fmt: skip
MESSAGE_COLUMNS = (
    "id", "wa_message_id", "client_message_id", "channel_id", "contact_id",
    "conversation_id", "contact_wa_id", "direction", "message_type", "content",
    "search_text", "timestamp", "status", "media_id", "media_mime_type",
    "media_sha256", "media_filename", "media_url", "media_voice",
    "media_animated", "reply_to_wa_message_id", "reply_to_from", "forwarded",
    "frequently_forwarded", "reaction_to_wa_message_id", "reaction_emoji",
    "lead_reaction", "latitude", "longitude", "location_name",
    "location_address", "location_url", "shared_contacts", "interactive",
    "referral", "system", "order", "template", "raw", "edited", "revoked",
    "error_code", "error_title", "error_message", "error_details",
    "sent_by_user_id", "sent_at", "delivered_at", "read_at", "failed_at",
    "created_at", "updated_at",
)  # fmt: skip
STATUS_EVENT_COLUMNS = (
    "id", "wa_message_id", "status", "timestamp", "recipient_id", "error_code",
    "error_title", "error_message", "error_details", "raw", "applied",
    "received_at",
)  # fmt: skip
MEDIA_COLUMNS = (
    "id", "media_id", "channel_id", "message_id", "mime_type", "sha256",
    "file_size", "filename", "path", "state", "attempts", "next_attempt_at",
    "claimed_until", "expires_at", "last_error", "created_at", "stored_at",
)  # fmt: skip
LEAD_EVENT_COLUMNS = (
    "id", "contact_id", "user_id", "kind", "old_value", "new_value", "created_at",
)  # fmt: skip
JSON_COLUMNS = frozenset(
    {
        "shared_contacts", "interactive", "referral", "system", "order",
        "template", "raw", "old_value", "new_value",
    }
)  # fmt: skip


@dataclass
class Sizes:
    contacts: int
    messages: int
    channels: int
    agents: int
    days: int


@dataclass
class Batch:
    """Rows of one chunk of contacts, per table."""

    contacts: list[tuple[Any, ...]] = field(default_factory=list)
    identities: list[tuple[Any, ...]] = field(default_factory=list)
    conversations: list[tuple[Any, ...]] = field(default_factory=list)
    messages: list[tuple[Any, ...]] = field(default_factory=list)
    statuses: list[tuple[Any, ...]] = field(default_factory=list)
    media: list[tuple[Any, ...]] = field(default_factory=list)
    lead_events: list[tuple[Any, ...]] = field(default_factory=list)
    contact_tags: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class Counters:
    identity: int = 0
    conversation: int = 0
    message: int = 0
    status: int = 0
    media: int = 0
    lead_event: int = 0


_CUMULATIVE: dict[int, tuple[list[str], list[int]]] = {}


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    key = id(weighted)
    if key not in _CUMULATIVE:
        total = 0
        sums = []
        for _, weight in weighted:
            total += weight
            sums.append(total)
        _CUMULATIVE[key] = ([w[0] for w in weighted], sums)
    names, sums = _CUMULATIVE[key]
    return rng.choices(names, cum_weights=sums)[0]


@lru_cache(maxsize=4096)
def _search_text(
    content: str | None,
    filename: str | None,
    location_name: str | None,
    location_address: str | None,
) -> str | None:
    return message_search_text(content, filename, location_name, location_address)


def phone_of(index: int) -> str:
    """A unique 13-digit Brazilian mobile number (55 + area code + 9 + 8 digits)."""
    area = AREA_CODES[index % len(AREA_CODES)]
    local = f"{8 + index % 2}{index:07d}"
    return f"55{area}9{local}"


class Generator:
    """Builds rows chunk by chunk so memory stays flat at any size."""

    def __init__(self, sizes: Sizes, seed: int, now: datetime) -> None:
        self.sizes = sizes
        self.rng = random.Random(seed)
        self.now = now
        self.start = now - timedelta(days=sizes.days)
        self.counters = Counters()
        self.agent_ids = list(range(2, 2 + sizes.agents))
        self.tag_count = len(TAGS)
        # The reasons the migrations seed, read from the database before use.
        self.lost_reasons: dict[int, str] = {}
        # Which contacts also write to a second channel, and how many messages
        # each conversation gets: a long tail, as real inboxes have.
        self.second_channel = [
            sizes.channels > 1 and self.rng.random() < 0.08
            for _ in range(sizes.contacts)
        ]
        conversation_total = sizes.contacts + sum(self.second_channel)
        weights = [self.rng.paretovariate(1.3) for _ in range(conversation_total)]
        scale = max(sizes.messages - conversation_total, 0) / sum(weights)
        counts = [1 + int(w * scale) for w in weights]
        shortfall = sizes.messages - sum(counts)
        for index in range(abs(shortfall)):
            slot = index % conversation_total
            if shortfall > 0:
                counts[slot] += 1
            elif counts[slot] > 1:
                counts[slot] -= 1
        self.message_counts = counts

    # Fixed rows -------------------------------------------------------------

    def channels(self, cipher: TokenCipher) -> list[tuple[Any, ...]]:
        names = ("Pós-Graduação (SDR)", "Cursos Livres", "Formação", "Eventos")
        rows = []
        for index in range(self.sizes.channels):
            number = f"55119{index + 1:08d}"
            rows.append(
                (
                    index + 1,
                    names[index % len(names)] + ("" if index < 4 else f" {index}"),
                    number,
                    f"10{index + 1:013d}",
                    f"20{index + 1:013d}",
                    cipher.encrypt(f"bench-token-{index + 1}"),
                    True,
                    self.start,
                    self.start,
                )
            )
        return rows

    def users(self) -> list[tuple[Any, ...]]:
        digest = hash_password(BENCH_PASSWORD)
        rows: list[tuple[Any, ...]] = [
            (1, "Admin Teste", ADMIN_EMAIL, digest, "admin", True, 0, "pt_BR")
        ]
        for number, user_id in enumerate(self.agent_ids, start=1):
            name = f"{FIRST_NAMES[number % len(FIRST_NAMES)]} Atendente"
            email = f"atendente{number}@bench.invalid"
            rows.append((user_id, name, email, digest, "atendente", True, 0, "pt_BR"))
        return [(*row, self.start) for row in rows]

    def user_channels(self) -> list[tuple[int, int]]:
        # Half the agents work on one channel; the others see every channel.
        return [
            (user_id, 1 + index % self.sizes.channels)
            for index, user_id in enumerate(self.agent_ids)
            if index % 2 == 0
        ]

    def tags(self) -> list[tuple[Any, ...]]:
        return [
            (index + 1, name, fold_key(name), color, self.start)
            for index, (name, color) in enumerate(TAGS)
        ]

    # Chunks -----------------------------------------------------------------

    def chunks(self, size: int) -> Iterator[Batch]:
        conversation_slot = 0
        for first in range(0, self.sizes.contacts, size):
            batch = Batch()
            for index in range(first, min(first + size, self.sizes.contacts)):
                slots = 2 if self.second_channel[index] else 1
                counts = self.message_counts[
                    conversation_slot : conversation_slot + slots
                ]
                conversation_slot += slots
                self._contact(batch, index, counts)
            yield batch

    def _contact(self, batch: Batch, index: int, counts: list[int]) -> None:
        rng = self.rng
        contact_id = index + 1
        phone = phone_of(index)
        # One lead in twenty still writes from the 12-digit form of the number.
        wa_id = phone[:4] + phone[5:] if index % 20 == 7 else phone
        name: str | None = (
            f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            if rng.random() < 0.92
            else None
        )
        user_id = f"BR.{contact_id:014d}" if index % 50 == 3 else None
        username = f"lead_{contact_id}" if user_id else None
        # Leads arrive through the period; their first message opens it.
        created_at = self.start + timedelta(
            seconds=rng.random() * (self.now - self.start).total_seconds() * 0.97
        )
        home_channel = 1 + index % self.sizes.channels
        channels = [home_channel]
        if len(counts) > 1:
            channels.append(1 + (home_channel % self.sizes.channels))
        last_message_at: datetime | None = None
        for channel_id, count in zip(channels, counts, strict=True):
            conversation_last = self._conversation(
                batch, contact_id, wa_id, channel_id, count, created_at
            )
            if conversation_last and (
                last_message_at is None or conversation_last > last_message_at
            ):
                last_message_at = conversation_last
        self._identities(batch, contact_id, wa_id, user_id, created_at)
        status, reached, status_changed_at, lost_reason = self._crm(
            batch, contact_id, created_at, last_message_at
        )
        notes = None
        notes_at = None
        notes_by = None
        if rng.random() < 0.1:
            notes = "Ligar na próxima semana; interesse em formação à distância."
            notes_at = status_changed_at or created_at
            notes_by = rng.choice(self.agent_ids) if self.agent_ids else 1
        batch.contacts.append(
            (
                contact_id,
                wa_id,
                name,
                user_id,
                username,
                fold_for_search(name, username),
                status,
                reached,
                notes,
                notes_at,
                notes_by,
                lost_reason,
                "Achou caro" if lost_reason == 1 else None,
                status_changed_at,
                home_channel,
                last_message_at,
                created_at,
                max(filter(None, (last_message_at, status_changed_at, created_at))),
            )
        )
        for tag_id in range(1, self.tag_count + 1):
            if rng.random() < 0.05:
                batch.contact_tags.append((contact_id, tag_id, created_at))

    def _identities(
        self,
        batch: Batch,
        contact_id: int,
        wa_id: str,
        user_id: str | None,
        created_at: datetime,
    ) -> None:
        self.counters.identity += 1
        batch.identities.append(
            (self.counters.identity, contact_id, "phone", match_key(wa_id), created_at)
        )
        if user_id:
            self.counters.identity += 1
            batch.identities.append(
                (self.counters.identity, contact_id, "user_id", user_id, created_at)
            )

    def _crm(
        self,
        batch: Batch,
        contact_id: int,
        created_at: datetime,
        last_message_at: datetime | None,
    ) -> tuple[str, int, datetime | None, int | None]:
        """Write a lead's status events.

        Return its status, reached statuses (bits), last change and lost reason.
        """
        rng = self.rng
        status = _pick(rng, LEAD_STATUS_WEIGHTS)
        if status == "novo":
            return status, NOVO_BIT, None, None
        end = last_message_at or created_at
        path = (
            [*list(STATUS_PATH[1 : 1 + rng.randint(1, 2)]), status]
            if status == "perdido"
            else list(STATUS_PATH[1 : STATUS_PATH.index(status) + 1])
        )
        previous = "novo"
        changed_at = created_at
        span = max((end - created_at).total_seconds(), 60.0)
        lost_reason = None
        reached = NOVO_BIT
        for step, value in enumerate(path, start=1):
            changed_at = created_at + timedelta(seconds=span * step / (len(path) + 1))
            old = _status_json(previous, None)
            if value == "perdido":
                lost_reason = rng.choice(list(self.lost_reasons))
            new = _status_json(value, lost_reason, self.lost_reasons)
            self.counters.lead_event += 1
            batch.lead_events.append(
                (
                    self.counters.lead_event,
                    contact_id,
                    rng.choice(self.agent_ids) if self.agent_ids else 1,
                    "status_changed",
                    old,
                    new,
                    changed_at,
                )
            )
            previous = value
            reached |= status_bit(value)
        return status, reached, changed_at, lost_reason

    def _conversation(
        self,
        batch: Batch,
        contact_id: int,
        wa_id: str,
        channel_id: int,
        count: int,
        created_at: datetime,
    ) -> datetime | None:
        rng = self.rng
        self.counters.conversation += 1
        conversation_id = self.counters.conversation
        span = (self.now - created_at).total_seconds()
        # Most conversations are bursts of a few days; some run the whole period.
        span *= rng.choice((0.02, 0.05, 0.2, 1.0))
        offsets = sorted(rng.random() * span for _ in range(count))
        offsets[0] = 0.0
        assignee = (
            rng.choice(self.agent_ids)
            if self.agent_ids and rng.random() < 0.6
            else None
        )
        state = _ConversationState()
        previous_wamid: str | None = None
        direction = "inbound"
        for offset in offsets:
            timestamp = created_at + timedelta(seconds=offset)
            wamid = self._message(
                batch,
                state,
                conversation_id=conversation_id,
                channel_id=channel_id,
                contact_id=contact_id,
                wa_id=wa_id,
                direction=direction,
                timestamp=timestamp,
                previous_wamid=previous_wamid,
                agent=assignee,
            )
            previous_wamid = wamid
            # Leads write a few messages in a row; agents answer in turn.
            if direction == "inbound":
                direction = "outbound" if rng.random() < 0.55 else "inbound"
            else:
                direction = "inbound" if rng.random() < 0.7 else "outbound"
        batch.conversations.append(
            (
                conversation_id,
                channel_id,
                contact_id,
                wa_id,
                state.last_inbound_at,
                state.last_message_at,
                state.preview,
                state.last_direction,
                state.unread,
                assignee,
                created_at,
                state.last_change or created_at,
            )
        )
        return state.last_message_at

    def _message(
        self,
        batch: Batch,
        state: "_ConversationState",
        *,
        conversation_id: int,
        channel_id: int,
        contact_id: int,
        wa_id: str,
        direction: str,
        timestamp: datetime,
        previous_wamid: str | None,
        agent: int | None,
    ) -> str:
        rng = self.rng
        self.counters.message += 1
        message_id = self.counters.message
        wamid = f"wamid.HBgN{message_id:016d}BENCH"
        inbound = direction == "inbound"
        kind = _pick(rng, INBOUND_TYPES if inbound else OUTBOUND_TYPES)
        if kind == "reaction" and previous_wamid is None:
            kind = "text"
        values: dict[str, Any] = {}
        raw: dict[str, Any] = {
            "from": wa_id,
            "id": wamid,
            "timestamp": str(int(timestamp.timestamp())),
            "type": kind,
        }
        content: str | None = None
        if kind == "text":
            content = rng.choice(PHRASES if inbound else REPLIES)
            raw["text"] = {"body": content}
        elif kind in MEDIA_KINDS:
            mime, filename = MEDIA_KINDS[kind]
            content = rng.choice(MEDIA_CAPTIONS) if kind in ("image", "video") else None
            media_id = f"{channel_id}{message_id:015d}"
            sha = hashlib.sha256(media_id.encode()).hexdigest()
            values.update(
                media_id=media_id,
                media_mime_type=mime,
                media_sha256=sha,
                media_filename=filename,
                media_voice=kind == "audio",
            )
            raw[kind] = {"id": media_id, "mime_type": mime, "sha256": sha}
            self.counters.media += 1
            batch.media.append(
                (
                    self.counters.media,
                    media_id,
                    channel_id,
                    message_id,
                    mime,
                    sha,
                    rng.randint(20_000, 2_000_000),
                    filename,
                    f"{sha[:2]}/{sha[2:4]}/{sha}",
                    "stored",
                    1,
                    None,
                    None,
                    timestamp + timedelta(days=30),
                    None,
                    timestamp,
                    timestamp + timedelta(seconds=2),
                )
            )
        elif kind == "location":
            values.update(
                latitude=-23.55 + rng.random() / 10,
                longitude=-46.63 + rng.random() / 10,
                location_name="Polo São Paulo",
                location_address="Av. Paulista, 1000 - São Paulo",
            )
            raw["location"] = {"latitude": values["latitude"]}
        elif kind == "contacts":
            values["shared_contacts"] = [
                {"name": {"formatted_name": "Conceição Teste"}, "phones": []}
            ]
        elif kind == "interactive":
            content = "Quero saber os valores"
            values["interactive"] = {
                "type": "button_reply",
                "id": "valores",
                "title": content,
                "description": None,
            }
        elif kind == "button":
            content = "Tenho interesse"
            values["interactive"] = {
                "type": "button",
                "payload": "interesse",
                "title": content,
            }
        elif kind == "reaction":
            values.update(reaction_to_wa_message_id=previous_wamid, reaction_emoji="👍")
        elif kind == "order":
            content = "Pedido de material didático"
            values["order"] = {"catalog_id": "1", "text": content, "product_items": []}
        elif kind == "system":
            content = "O número do cliente mudou."
            values["system"] = {"body": content, "type": "user_changed_number"}
        elif kind == "unsupported":
            values["system"] = {"unsupported_type": "poll"}
        elif kind == "template":
            content = "Olá! Temos novidades sobre as turmas de pós-graduação."
            values["template"] = {
                "name": "novidades_turmas",
                "language": "pt_BR",
                "components": [],
            }
        values["raw"] = raw if inbound else None

        sent_at = delivered_at = read_at = failed_at = None
        status = "received"
        if not inbound:
            status = rng.choices(
                ("read", "delivered", "sent", "failed"), (60, 25, 10, 5)
            )[0]
            self._statuses(batch, wamid, wa_id, status, timestamp, values)
            sent_at = timestamp + timedelta(seconds=1)
            if status in ("delivered", "read"):
                delivered_at = timestamp + timedelta(seconds=3)
            if status == "read":
                read_at = timestamp + timedelta(seconds=rng.randint(10, 3600))
            if status == "failed":
                failed_at = sent_at
        row = dict.fromkeys(MESSAGE_COLUMNS)
        row.update(
            id=message_id,
            wa_message_id=wamid,
            client_message_id=None if inbound else f"bench-{message_id}",
            channel_id=channel_id,
            contact_id=contact_id,
            conversation_id=conversation_id,
            contact_wa_id=wa_id,
            direction=direction,
            message_type=kind,
            content=content,
            timestamp=timestamp,
            status=status,
            media_voice=False,
            media_animated=False,
            forwarded=False,
            frequently_forwarded=False,
            edited=False,
            revoked=False,
            sent_by_user_id=None if inbound or agent is None else agent,
            sent_at=sent_at,
            delivered_at=delivered_at,
            read_at=read_at,
            failed_at=failed_at,
            created_at=timestamp,
            updated_at=read_at or delivered_at or sent_at or timestamp,
        )
        row.update(values)
        row["search_text"] = _search_text(
            content,
            row["media_filename"],
            row["location_name"],
            row["location_address"],
        )
        batch.messages.append(tuple(row.values()))
        state.record(kind, content, timestamp, direction, row["updated_at"])
        return wamid

    def _statuses(
        self,
        batch: Batch,
        wamid: str,
        wa_id: str,
        final: str,
        timestamp: datetime,
        values: dict[str, Any],
    ) -> None:
        reached = {
            "sent": ("sent",),
            "delivered": ("sent", "delivered"),
            "read": ("sent", "delivered", "read"),
            "failed": ("failed",),
        }[final]
        for step, status in enumerate(reached, start=1):
            error = (131026, "Message undeliverable", None, None)
            error_code, title, message, details = (
                error if status == "failed" else (0, None, None, None)
            )
            if status == "failed":
                values.update(
                    error_code=error_code,
                    error_title=title,
                    error_message="Receiver is incapable of receiving this message",
                )
            at = timestamp + timedelta(seconds=step * 2)
            self.counters.status += 1
            batch.statuses.append(
                (
                    self.counters.status,
                    wamid,
                    status,
                    at,
                    wa_id,
                    error_code,
                    title,
                    message,
                    details,
                    {"id": wamid, "status": status, "recipient_id": wa_id},
                    True,
                    at,
                )
            )


@dataclass
class _ConversationState:
    last_inbound_at: datetime | None = None
    last_message_at: datetime | None = None
    preview: str | None = None
    last_direction: str | None = None
    unread: int = 0
    last_change: datetime | None = None

    def record(
        self,
        kind: str,
        content: str | None,
        timestamp: datetime,
        direction: str,
        changed: datetime,
    ) -> None:
        """Move the derived fields forward as the application does."""
        self.last_change = max(filter(None, (self.last_change, changed)))
        if kind == "reaction":
            return
        if direction == "inbound":
            self.last_inbound_at = timestamp
            self.unread += 1
        else:
            # An agent answering has read the conversation first.
            self.unread = 0
        self.last_message_at = timestamp
        self.preview = message_preview(kind, content)
        self.last_direction = direction


def fold_key(name: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFC", name).casefold()


def _status_json(
    status: str, lost_reason: int | None, names: dict[int, str] | None = None
) -> dict[str, Any]:
    value: dict[str, Any] = {"lead_status": status}
    if status == "perdido":
        value.update(
            lost_reason_id=lost_reason,
            lost_reason=(names or {}).get(lost_reason) if lost_reason else None,
            lost_reason_text="Achou caro" if lost_reason == 1 else None,
        )
    return value


# Writers -------------------------------------------------------------------


class Writer:
    async def fetch(self, query: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    async def write(
        self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        raise NotImplementedError

    async def finish(self, lead_reactions: list[tuple[str, str]]) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class SqliteWriter(Writer):
    """executemany in one transaction per chunk, values shaped like SQLAlchemy's."""

    def __init__(self, path: str) -> None:
        # A running app takes SQLite's write lock for each of its sessions,
        # so wait for it as long as the app itself waits (30 s), not 5 s.
        self.connection = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=OFF")
        self.connection.execute("PRAGMA cache_size=-200000")

    async def fetch(self, query: str) -> list[tuple[Any, ...]]:
        return list(self.connection.execute(query).fetchall())

    async def write(
        self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        dates = [
            i for i, c in enumerate(columns) if c.endswith("_at") or c == "timestamp"
        ]
        jsons = [i for i, c in enumerate(columns) if c in JSON_COLUMNS]
        quoted = ", ".join(f'"{column}"' for column in columns)
        marks = ", ".join("?" for _ in columns)
        statement = f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})'  # noqa: S608
        self.connection.execute("BEGIN")
        self.connection.executemany(
            statement, (_sqlite_row(row, dates, jsons) for row in rows)
        )
        self.connection.execute("COMMIT")

    async def finish(self, lead_reactions: list[tuple[str, str]]) -> None:
        self.connection.execute("BEGIN")
        self.connection.executemany(
            "UPDATE messages SET lead_reaction = ? WHERE wa_message_id = ?",
            lead_reactions,
        )
        for statement in rebuild_all_statements("sqlite"):
            self.connection.execute(statement)
        self.connection.execute("COMMIT")
        self.connection.execute("ANALYZE")

    async def close(self) -> None:
        self.connection.close()


def _sqlite_row(row: tuple[Any, ...], dates: list[int], jsons: list[int]) -> list[Any]:
    """Shape values as SQLAlchemy stores them on SQLite: naive UTC text, JSON text."""
    values = list(row)
    for slot in dates:
        value = values[slot]
        if value is not None:
            values[slot] = value.astimezone(UTC).isoformat(" ", "microseconds")[:26]
    for slot in jsons:
        if values[slot] is not None:
            values[slot] = json.dumps(values[slot])
    return values


class PostgresWriter(Writer):
    """COPY through asyncpg, then sequences moved past the written ids."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    @classmethod
    async def open(cls, url: str) -> "PostgresWriter":
        import asyncpg

        return cls(await asyncpg.connect(_plain_postgres_url(url)))

    async def fetch(self, query: str) -> list[tuple[Any, ...]]:
        return [tuple(record) for record in await self.connection.fetch(query)]

    async def write(
        self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        json_slots = [i for i, column in enumerate(columns) if column in JSON_COLUMNS]
        if json_slots:
            rows = [_json_encode(row, json_slots) for row in rows]
        await self.connection.copy_records_to_table(
            table, records=rows, columns=list(columns)
        )

    async def finish(self, lead_reactions: list[tuple[str, str]]) -> None:
        await self.connection.executemany(
            "UPDATE messages SET lead_reaction = $1 WHERE wa_message_id = $2",
            lead_reactions,
        )
        async with self.connection.transaction():
            for statement in rebuild_all_statements("postgresql"):
                await self.connection.execute(statement)
        for table in (
            "channels", "users", "contacts", "contact_identities", "conversations",
            "messages", "message_status_events", "media_files", "lead_events",
            "lost_reasons", "tags", "response_waits",
        ):  # fmt: skip
            await self.connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
        await self.connection.execute("ANALYZE")

    async def close(self) -> None:
        await self.connection.close()


def _json_encode(row: tuple[Any, ...], slots: list[int]) -> tuple[Any, ...]:
    values = list(row)
    for slot in slots:
        if values[slot] is not None:
            values[slot] = json.dumps(values[slot])
    return tuple(values)


def _plain_postgres_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def sqlite_path(url: str) -> str | None:
    """The file of a SQLite URL, or None for another database."""
    if not url.startswith("sqlite"):
        return None
    return url.split(":///", 1)[1]


# Entry point -----------------------------------------------------------------


async def generate(
    database_url: str,
    sizes: Sizes,
    *,
    seed: int = 1,
    encryption_key: str = DEFAULT_ENCRYPTION_KEY,
    chunk_contacts: int = 2000,
    now: datetime | None = None,
    progress: bool = False,
) -> Counters:
    """Migrate the database and fill it; return how many rows of each kind went in."""
    await asyncio.to_thread(upgrade, database_url)
    generator = Generator(sizes, seed, now or datetime.now(UTC))
    path = sqlite_path(database_url)
    writer: Writer = (
        SqliteWriter(path) if path else await PostgresWriter.open(database_url)
    )
    started = time.monotonic()
    try:
        await writer.write(
            "channels",
            CHANNEL_COLUMNS,
            generator.channels(TokenCipher(encryption_key)),
        )
        await writer.write("users", USER_COLUMNS, generator.users())
        await writer.write(
            "user_channels", ("user_id", "channel_id"), generator.user_channels()
        )
        reasons = await writer.fetch("SELECT id, name FROM lost_reasons ORDER BY id")
        if not reasons:
            reasons = [(index + 1, name) for index, name in enumerate(LOST_REASONS)]
            await writer.write(
                "lost_reasons",
                ("id", "name", "is_active", "position", "created_at"),
                [(i, name, True, i, generator.start) for i, name in reasons],
            )
        generator.lost_reasons = dict(reasons)
        await writer.write(
            "tags", ("id", "name", "name_key", "color", "created_at"), generator.tags()
        )
        reactions: list[tuple[str, str]] = []
        for batch in generator.chunks(chunk_contacts):
            await writer.write("contacts", CONTACT_COLUMNS, batch.contacts)
            await writer.write("contact_identities", IDENTITY_COLUMNS, batch.identities)
            await writer.write(
                "contact_tags", ("contact_id", "tag_id", "created_at"),
                batch.contact_tags,
            )  # fmt: skip
            await writer.write(
                "conversations", CONVERSATION_COLUMNS, batch.conversations
            )
            await writer.write("messages", MESSAGE_COLUMNS, batch.messages)
            await writer.write(
                "message_status_events", STATUS_EVENT_COLUMNS, batch.statuses
            )
            await writer.write("media_files", MEDIA_COLUMNS, batch.media)
            await writer.write("lead_events", LEAD_EVENT_COLUMNS, batch.lead_events)
            reactions.extend(
                ("👍", wamid)
                for row in batch.messages
                if row[8] == "reaction" and (wamid := row[24])
            )
            if progress:
                print(
                    f"{generator.counters.message:>10} messages "
                    f"{time.monotonic() - started:7.1f} s",
                    file=sys.stderr,
                )
        await writer.finish(reactions)
    finally:
        await writer.close()
    return generator.counters


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=2_000_000)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--encryption-key", default=DEFAULT_ENCRYPTION_KEY)
    args = parser.parse_args(argv)
    if args.messages < args.contacts * 1.1:
        parser.error("--messages must be at least 1.1 times --contacts")
    sizes = Sizes(args.contacts, args.messages, args.channels, args.agents, args.days)
    started = time.monotonic()
    counters = asyncio.run(
        generate(
            args.database_url,
            sizes,
            seed=args.seed,
            encryption_key=args.encryption_key,
            progress=True,
        )
    )
    print(
        f"{args.contacts} contacts, {counters.conversation} conversations, "
        f"{counters.message} messages, {counters.status} statuses, "
        f"{counters.media} media files, {counters.lead_event} lead events "
        f"in {time.monotonic() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
