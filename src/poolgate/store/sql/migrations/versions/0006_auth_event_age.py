"""An index on ``auth_events.created_at``, for the purge of old auth events.

Revision ID: 0006_auth_event_age
Revises: 0005_auth_events
Create Date: 2025-01-06

Threat protection deletes events older than the retention period of every pool at once
(``ThreatProtection.purge_old_events``); without this index that delete reads the whole table.
Only an index is added, so existing data is kept.
"""

from __future__ import annotations

from alembic import op

revision = "0006_auth_event_age"
down_revision: str | None = "0005_auth_events"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_auth_events_created_at", "auth_events", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_auth_events_created_at", table_name="auth_events")
