"""ORM models of every table; Alembic reads their metadata from here."""

from cenat_hub.db.base import Base
from cenat_hub.models.audit import AuditLogEntry
from cenat_hub.models.channel import Channel
from cenat_hub.models.contact import Contact, ContactIdentity, ContactTag, Tag
from cenat_hub.models.conversation import Conversation
from cenat_hub.models.crm import LeadEvent, LostReason, UserChannel
from cenat_hub.models.login_attempt import LoginAttempt
from cenat_hub.models.media import MediaFile
from cenat_hub.models.message import Message, MessageStatusEvent
from cenat_hub.models.message_count import MessageCount
from cenat_hub.models.response_wait import ResponseWait
from cenat_hub.models.template import MessageTemplate
from cenat_hub.models.user import User
from cenat_hub.models.webhook import WebhookDelivery

__all__ = [
    "AuditLogEntry",
    "Base",
    "Channel",
    "Contact",
    "ContactIdentity",
    "ContactTag",
    "Conversation",
    "LeadEvent",
    "LoginAttempt",
    "LostReason",
    "MediaFile",
    "Message",
    "MessageCount",
    "MessageStatusEvent",
    "MessageTemplate",
    "ResponseWait",
    "Tag",
    "User",
    "UserChannel",
    "WebhookDelivery",
]
