"""``/_simulator`` routes: the simulator playing leads' phones. Not part of Meta's
API."""

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from cenat_hub.simulator.dependencies import StateDep
from cenat_hub.simulator.payloads import LeadMessage

router = APIRouter(prefix="/_simulator")


class RegisterLeadRequest(BaseModel):
    wa_id: str
    name: str | None = None
    user_id: str | None = None


class TemplateStatusRequest(BaseModel):
    waba_id: str
    name: str
    language: str
    status: str
    reason: str = "NONE"
    notify: bool = True


class LeadReadRequest(BaseModel):
    phone_number_id: str
    wa_id: str


@router.post("/leads/message")
async def lead_message(message: LeadMessage, state: StateDep) -> dict[str, Any]:
    """Send a message from a lead; returns ``wa_message_id``, ``payload`` and
    ``hub_status``."""
    return await state.lead_sends(message)


@router.post("/leads/register")
async def register_lead(
    request: RegisterLeadRequest, state: StateDep
) -> dict[str, Any]:
    lead = state.register_lead(request.wa_id, request.name, request.user_id)
    return {"wa_id": lead.wa_id, "name": lead.name, "user_id": lead.user_id}


@router.post("/leads/read")
async def lead_reads(request: LeadReadRequest, state: StateDep) -> dict[str, list[str]]:
    """Post read statuses for the messages the lead has not read yet (with
    ``auto_read`` off)."""
    return {"read": await state.lead_reads(request.phone_number_id, request.wa_id)}


@router.post("/leads/{wa_id}/undeliverable")
async def mark_undeliverable(wa_id: str, state: StateDep) -> dict[str, Any]:
    state.mark_undeliverable(wa_id)
    return {"wa_id": wa_id, "undeliverable": True}


@router.post("/templates/status")
async def set_template_status(
    request: TemplateStatusRequest, state: StateDep
) -> dict[str, Any]:
    """Change a template's status and post Meta's status webhook (unless
    ``notify`` is false)."""
    template = await state.set_template_status(
        request.waba_id,
        request.name,
        request.language,
        request.status.upper(),
        reason=request.reason,
        notify=request.notify,
    )
    return {"id": template["id"], "status": template["status"]}


@router.get("/sent_messages")
async def sent_messages(state: StateDep) -> list[dict[str, Any]]:
    """List every send the simulator accepted, oldest first."""
    return [dict(record) for record in state.sent_messages]
