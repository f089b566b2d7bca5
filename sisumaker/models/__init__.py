"""Typed SQLAlchemy 2 models, one module per domain."""
from sisumaker.models.audit import AuditEvent, AuditHead
from sisumaker.models.org import ROLES, UNIT_KINDS, ActingAssignment, Position, Unit, User

__all__ = ["AuditEvent", "AuditHead", "ActingAssignment", "Position", "Unit", "User", "ROLES", "UNIT_KINDS"]
