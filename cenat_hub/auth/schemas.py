from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Argon2id hashes a password of any length in the same time; the bound keeps
# request bodies small.
MAX_PASSWORD_CHARS = 1024

# The values of ``cenat_hub.models.user.ROLES``.
Role = Literal["admin", "atendente"]


class LoginRequest(BaseModel):
    email: str = Field(min_length=3, max_length=255)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_CHARS)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str
    role: str
    is_active: bool
    created_at: datetime


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_at: datetime
    user: UserOut


class UserCreate(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    email: str = Field(min_length=3, max_length=255)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_CHARS)
    role: Role = "atendente"


class UserUpdate(BaseModel):
    """Changes an admin makes to a user; fields left out stay as they are."""

    name: str | None = Field(default=None, min_length=1, max_length=255)
    email: str | None = Field(default=None, min_length=3, max_length=255)
    role: Role | None = None
    is_active: bool | None = None
    # A new password set by the admin; the user's sessions end at once.
    password: str | None = Field(
        default=None, min_length=1, max_length=MAX_PASSWORD_CHARS
    )


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD_CHARS)
    new_password: str = Field(min_length=1, max_length=MAX_PASSWORD_CHARS)


class AuditActorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str


class AuditEntryOut(BaseModel):
    id: int
    action: str
    target_type: str
    target_id: int | None
    details: dict[str, Any] | None
    created_at: datetime
    # None for actions run from the command line or by a since-deleted user.
    actor: AuditActorOut | None
