"""Baseline: store, sealed-ingest and audit tables as they were before Alembic.

Revision ID: 0001
Revises:
Create Date: 2026-11-27

Databases made before Alembic (``metadata.create_all``) already hold some or all of these
tables. For them this revision creates only the missing tables and checks that every existing
one has exactly the expected columns; a table that differs stops the upgrade with a `StoreError`
naming the table and the columns, and nothing is changed (the upgrade is one transaction).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from bedside.domain import StoreError

__all__ = ["downgrade", "upgrade"]

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _findings() -> None:
    op.create_table(
        "findings",
        sa.Column("patient_id", sa.String(200), primary_key=True),
        sa.Column("date", sa.String(10), primary_key=True),
        sa.Column("device_id", sa.String(200), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
    )


def _recommendations() -> None:
    op.create_table(
        "recommendations",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("patient_id", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("priority_rank", sa.Integer, nullable=False),
        sa.Column("due", sa.String(27), nullable=False),
        sa.Column("expires", sa.String(27), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_recommendations_patient_id", "recommendations", ["patient_id"])
    op.create_index("ix_recommendations_status", "recommendations", ["status"])


def _feedback() -> None:
    op.create_table(
        "recommendation_feedback",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "recommendation_id",
            sa.String(200),
            sa.ForeignKey("recommendations.id"),
            nullable=False,
        ),
        sa.Column("previous_status", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("at", sa.String(27), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_recommendation_feedback_recommendation_id",
        "recommendation_feedback",
        ["recommendation_id"],
    )


def _fhir_resources() -> None:
    op.create_table(
        "fhir_resources",
        sa.Column("resource_type", sa.String(64), primary_key=True),
        sa.Column("resource_id", sa.String(64), primary_key=True),
        sa.Column("patient_id", sa.String(200), nullable=True),
        sa.Column("version_id", sa.Integer, nullable=False),
        sa.Column("last_updated", sa.String(27), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_fhir_resources_patient_id", "fhir_resources", ["patient_id"])


def _sealed_envelopes() -> None:
    op.create_table(
        "sealed_envelopes",
        sa.Column("envelope_id", sa.String(100), primary_key=True),
        sa.Column("patient_did", sa.String(200), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("consent_id", sa.String(200), nullable=False),
        sa.Column("issued_at", sa.String(27), nullable=False),
        sa.Column("received_at", sa.String(27), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.UniqueConstraint("patient_did", "sequence", name="uq_envelope_patient_sequence"),
    )


def _sequence_gaps() -> None:
    op.create_table(
        "sequence_gaps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("patient_did", sa.String(200), nullable=False),
        sa.Column("first_missing", sa.Integer, nullable=False),
        sa.Column("last_missing", sa.Integer, nullable=False),
        sa.Column("recorded_at", sa.String(27), nullable=False),
    )
    op.create_index("ix_sequence_gaps_patient_did", "sequence_gaps", ["patient_did"])


def _consents() -> None:
    op.create_table(
        "consents",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("patient_did", sa.String(200), nullable=False),
        sa.Column("patient_id", sa.String(200), nullable=False),
        sa.Column("grantee_did", sa.String(200), nullable=False),
        sa.Column("scopes", sa.String(100), nullable=False),
        sa.Column("valid_from", sa.String(27), nullable=False),
        sa.Column("valid_until", sa.String(27), nullable=False),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("revoked_at", sa.String(27), nullable=True),
        sa.Column("revocation_token", sa.Text, nullable=True),
    )
    op.create_index("ix_consents_patient_did", "consents", ["patient_did"])
    op.create_index("ix_consents_patient_id", "consents", ["patient_id"])


def _audit_log() -> None:
    op.create_table(
        "audit_log",
        sa.Column("row_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(300), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("outcome", sa.String(100), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("attestation", sa.String(200), nullable=False),
        sa.Column("signer_did", sa.String(200), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    )
    op.create_index("ix_audit_log_seq", "audit_log", ["seq"])


def _audit_head() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )


# Table -> (its columns, how to create it); creation order respects the foreign key.
_TABLES: dict[str, tuple[tuple[str, ...], Callable[[], None]]] = {
    "findings": (("patient_id", "date", "device_id", "body"), _findings),
    "recommendations": (
        ("id", "patient_id", "status", "priority_rank", "due", "expires", "body"),
        _recommendations,
    ),
    "recommendation_feedback": (
        ("seq", "recommendation_id", "previous_status", "status", "who", "at", "reason"),
        _feedback,
    ),
    "fhir_resources": (
        ("resource_type", "resource_id", "patient_id", "version_id", "last_updated", "body"),
        _fhir_resources,
    ),
    "sealed_envelopes": (
        (
            "envelope_id",
            "patient_did",
            "sequence",
            "digest",
            "consent_id",
            "issued_at",
            "received_at",
            "payload",
        ),
        _sealed_envelopes,
    ),
    "sequence_gaps": (
        ("id", "patient_did", "first_missing", "last_missing", "recorded_at"),
        _sequence_gaps,
    ),
    "consents": (
        (
            "id",
            "patient_did",
            "patient_id",
            "grantee_did",
            "scopes",
            "valid_from",
            "valid_until",
            "token",
            "revoked_at",
            "revocation_token",
        ),
        _consents,
    ),
    "audit_log": (
        (
            "row_id",
            "seq",
            "at",
            "actor",
            "action",
            "subject",
            "outcome",
            "detail",
            "attestation",
            "signer_did",
            "prev_hash",
            "entry_hash",
            "signature",
        ),
        _audit_log,
    ),
    "audit_head": (("id", "seq", "entry_hash"), _audit_head),
}


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    for name, (columns, create) in _TABLES.items():
        if not inspector.has_table(name):
            create()
            continue
        found = {c["name"] for c in inspector.get_columns(name)}
        if found != set(columns):
            raise StoreError(
                f"pre-Alembic table {name!r} does not match revision {revision}: "
                f"missing columns {sorted(set(columns) - found)}, "
                f"unexpected columns {sorted(found - set(columns))}; migrate it by hand or "
                "start from an empty database"
            )


def downgrade() -> None:
    for name in reversed(list(_TABLES)):
        op.drop_table(name)
