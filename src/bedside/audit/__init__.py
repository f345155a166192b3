"""The clinic's append-only, hash-chained, signed audit log (SQL) and its verifier."""

from bedside.audit.chain import GENESIS_HASH, AuditEntry, AuditProblem, make_entry, verify_chain
from bedside.audit.sql_log import (
    AUDIT_METADATA,
    AuditEvent,
    SqlAuditLog,
    read_audit_log,
    verify_audit_log,
)

__all__ = [
    "AUDIT_METADATA",
    "GENESIS_HASH",
    "AuditEntry",
    "AuditEvent",
    "AuditProblem",
    "SqlAuditLog",
    "make_entry",
    "read_audit_log",
    "verify_audit_log",
    "verify_chain",
]
