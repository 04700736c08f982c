"""Store the statuses each lead has reached, one bit per status.

The dashboard funnel counted, for the leads created in the period, how many
ever had each status. It took the union of every lead's current status and
the status of every ``status_changed`` event and deduplicated it with a sort
(140 to 270 ms at 100,000 leads on PostgreSQL). This revision adds
``contacts.reached_statuses``, bit i set when the lead reached status i of
``novo, contato, qualificado, matriculado, perdido``, and fills it from the
current statuses and the events. Every lead starts as ``novo``, so that bit
is always set. A status outside the list, in a row or an old event, has no
bit and is left out.

Revision ID: 0015_reached_statuses
Revises: 0014_response_wait_seconds
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_reached_statuses"
down_revision: str | None = "0014_response_wait_seconds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The statuses in bit order, as this revision defines them.
STATUSES = ("novo", "contato", "qualificado", "matriculado", "perdido")
EVENT_STATUS = {
    "postgresql": "new_value ->> 'lead_status'",
    "sqlite": "json_extract(new_value, '$.lead_status')",
}


def _bit_of(expression: str) -> str:
    cases = " ".join(
        f"WHEN '{status}' THEN {1 << index}" for index, status in enumerate(STATUSES)
    )
    return f"CASE {expression} {cases} ELSE 0 END"


def upgrade() -> None:
    op.add_column(
        "contacts",
        sa.Column(
            "reached_statuses", sa.SmallInteger(), nullable=False, server_default="1"
        ),
    )

    dialect = op.get_bind().dialect.name
    current = _bit_of("lead_status")
    op.execute(f"UPDATE contacts SET reached_statuses = 1 | {current}")  # noqa: S608
    # Adding distinct bits is the same as OR-ing them, and SQLite has no bit_or.
    op.execute(
        "UPDATE contacts SET reached_statuses = reached_statuses | events.bits"  # noqa: S608
        " FROM (SELECT contact_id, sum(bit) AS bits FROM ("
        f"  SELECT DISTINCT contact_id, {_bit_of(EVENT_STATUS[dialect])} AS bit"
        "   FROM lead_events WHERE kind = 'status_changed'"
        " ) AS reached GROUP BY contact_id) AS events"
        " WHERE events.contact_id = contacts.id"
    )


def downgrade() -> None:
    # A plain ALTER TABLE (SQLite 3.35 or later), because batch mode would copy
    # the table and lose the expression indexes on contacts, which SQLAlchemy
    # cannot reflect from SQLite.
    op.drop_column("contacts", "reached_statuses")
