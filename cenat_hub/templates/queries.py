"""Reads of the template cache."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.models import MessageTemplate


async def templates_of_waba(
    session: AsyncSession, waba_id: str
) -> list[MessageTemplate]:
    statement = (
        select(MessageTemplate)
        .where(MessageTemplate.waba_id == waba_id)
        .order_by(MessageTemplate.name, MessageTemplate.language)
    )
    return list((await session.execute(statement)).scalars())


async def find_template(
    session: AsyncSession, waba_id: str, name: str, language: str
) -> MessageTemplate | None:
    statement = select(MessageTemplate).where(
        MessageTemplate.waba_id == waba_id,
        MessageTemplate.name == name,
        MessageTemplate.language == language,
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def find_by_meta_id(
    session: AsyncSession, waba_id: str, meta_template_id: str
) -> MessageTemplate | None:
    statement = select(MessageTemplate).where(
        MessageTemplate.waba_id == waba_id,
        MessageTemplate.meta_template_id == meta_template_id,
    )
    return (await session.execute(statement)).scalars().first()
