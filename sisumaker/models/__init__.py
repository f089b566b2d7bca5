"""Typed SQLAlchemy 2 models, one module per domain."""
from sisumaker.models.audit import AuditEvent, AuditHead
from sisumaker.models.calendar import HOLIDAY_KINDS, Holiday
from sisumaker.models.dashboard import DashboardSnapshot
from sisumaker.models.dispositions import INSTRUCTIONS, InboxItem, Notification
from sisumaker.models.letters import (CONFIDENTIAL, JENIS, SIFAT, URGENSI, AgendaCounter, Classification, Letter,
                                      LetterAddressee, RegisterEntry, StoredFile)
from sisumaker.models.org import ROLES, UNIT_KINDS, ActingAssignment, Position, Unit, User
from sisumaker.models.outgoing import (Draft, DraftRecipient, DraftVersion, NumberCounter, NumberPattern,
                                       RecipientGroup, RecipientGroupMember, ReviewStep)
from sisumaker.models.search import SearchDocument
from sisumaker.models.versions import VERSION_SCOPES, PageVersion
from sisumaker.models.signing import Certificate, OfficialSigning, SignatureRequest, SignBatch, SignDocument

__all__ = [
    "AuditEvent", "AuditHead", "ActingAssignment", "Position", "Unit", "User", "ROLES", "UNIT_KINDS",
    "AgendaCounter", "Classification", "Letter", "LetterAddressee", "RegisterEntry", "StoredFile",
    "CONFIDENTIAL", "JENIS", "SIFAT", "URGENSI", "INSTRUCTIONS", "InboxItem", "Notification",
    "Certificate", "OfficialSigning", "SignatureRequest", "SignBatch", "SignDocument",
    "Draft", "DraftRecipient", "DraftVersion", "NumberCounter", "NumberPattern", "RecipientGroup",
    "RecipientGroupMember", "ReviewStep", "Holiday", "HOLIDAY_KINDS", "SearchDocument", "DashboardSnapshot",
    "PageVersion", "VERSION_SCOPES",
]
