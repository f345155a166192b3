"""PHQ-9 answers the clinic received (from devices' sealed envelopes or entered at the clinic).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

The clinic round reads them with the findings so that a PHQ-9 answered on the patient's device
(item 9 included) reaches the protocols; before this revision they stayed only inside the stored
envelope payloads.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__ = ["downgrade", "upgrade"]

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "phq9_responses",
        sa.Column("patient_id", sa.String(200), primary_key=True),
        sa.Column("date", sa.String(10), primary_key=True),
        sa.Column("source", sa.String(20), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("phq9_responses")
