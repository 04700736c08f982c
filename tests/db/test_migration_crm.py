import asyncio
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from cenat_hub.db.migrate import downgrade, upgrade

MESSAGE_TIME = datetime(2026, 1, 1, 12, 30, tzinfo=UTC)
CREATED = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)

channels = sa.table(
    "channels",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("phone_number", sa.String),
    sa.column("phone_number_id", sa.String),
    sa.column("whatsapp_token", sa.Text),
    sa.column("is_active", sa.Boolean),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
contacts = sa.table(
    "contacts",
    sa.column("id", sa.Integer),
    sa.column("wa_id", sa.String),
    sa.column("lead_status", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
conversations = sa.table(
    "conversations",
    sa.column("channel_id", sa.Integer),
    sa.column("contact_id", sa.Integer),
    sa.column("unread_count", sa.Integer),
    sa.column("last_message_at", sa.DateTime(timezone=True)),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
tags = sa.table(
    "tags",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("color", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
contact_tags = sa.table(
    "contact_tags",
    sa.column("contact_id", sa.Integer),
    sa.column("tag_id", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


async def _seed_before_crm(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(
            channels.insert().values(
                id=1,
                name="Canal Teste",
                phone_number="5511900000100",
                phone_number_id="100000000000001",
                whatsapp_token="x",
                is_active=True,
                created_at=CREATED,
                updated_at=CREATED,
            )
        )
        await connection.execute(
            contacts.insert(),
            [
                {
                    "id": 1,
                    "wa_id": "5511900000001",
                    "lead_status": "novo",
                    "created_at": CREATED,
                    "updated_at": CREATED,
                },
                {
                    "id": 2,
                    "wa_id": "5511900000002",
                    "lead_status": "novo",
                    "created_at": CREATED,
                    "updated_at": CREATED,
                },
            ],
        )
        await connection.execute(
            conversations.insert().values(
                channel_id=1,
                contact_id=1,
                unread_count=0,
                last_message_at=MESSAGE_TIME,
                created_at=CREATED,
            )
        )
        await connection.execute(
            tags.insert(),
            [
                {"id": 1, "name": "VIP", "color": "red", "created_at": CREATED},
                {"id": 2, "name": "vip", "color": "blue", "created_at": CREATED},
            ],
        )
        await connection.execute(
            contact_tags.insert(),
            [
                {"contact_id": 1, "tag_id": 1, "created_at": CREATED},
                {"contact_id": 1, "tag_id": 2, "created_at": CREATED},
                {"contact_id": 2, "tag_id": 2, "created_at": CREATED},
            ],
        )
    await engine.dispose()


async def _rows(url: str, query: str) -> list[tuple[object, ...]]:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        rows = [tuple(row) for row in (await connection.execute(sa.text(query))).all()]
    await engine.dispose()
    return rows


async def test_crm_migration_backfills_merges_and_seeds(
    empty_database: str,
) -> None:
    url = empty_database
    await asyncio.to_thread(upgrade, url, "0001")
    await _seed_before_crm(url)

    await asyncio.to_thread(upgrade, url, "0004_crm")

    activity = await _rows(url, "SELECT id, last_message_at FROM contacts ORDER BY id")
    assert activity[1][1] is None
    assert str(activity[0][1]).startswith("2026-01-01 12:30:00")
    assert await _rows(url, "SELECT id, name, name_key FROM tags") == [
        (1, "VIP", "vip")
    ]
    assert await _rows(
        url, "SELECT contact_id, tag_id FROM contact_tags ORDER BY contact_id"
    ) == [(1, 1), (2, 1)]
    reasons = await _rows(url, "SELECT name FROM lost_reasons ORDER BY position")
    assert len(reasons) == 6
    assert reasons[0] == ("Sem interesse no curso",)


async def test_crm_migration_downgrades_and_upgrades_again(
    empty_database: str,
) -> None:
    url = empty_database
    await asyncio.to_thread(upgrade, url, "0004_crm")

    await asyncio.to_thread(downgrade, url, "0001")
    with pytest.raises(sa.exc.DBAPIError):
        await _rows(url, "SELECT last_message_at FROM contacts")
    await asyncio.to_thread(upgrade, url, "0004_crm")

    assert await _rows(url, "SELECT COUNT(*) FROM lost_reasons") == [(6,)]
    assert await _rows(url, "SELECT last_message_at FROM contacts") == []
