"""Helpers shared by the template API tests."""

from dataclasses import dataclass
from typing import Any

import httpx

from cenat_hub.web.state import AppState
from tests.factories import ADMIN_PASSWORD, login, make_channel, make_user

WABA_ID = "200000000000001"
PHONE_NUMBER_ID = "100000000000001"
IMAGE_LINK = "https://example.invalid/curso.jpg"

# Values that fill each kind of approved template of the simulator.
TEMPLATE_VALUES: dict[tuple[str, str], dict[str, str]] = {
    ("primeiro_contato_pos", "pt_BR"): {"body.1": "Ana", "body.2": "Saúde Mental"},
    ("primeiro_contato_pos", "en_US"): {"body.1": "Ana", "body.2": "Mental Health"},
    ("boas_vindas_curso", "pt_BR"): {
        "header.media": IMAGE_LINK,
        "body.customer_name": "Ana",
        "body.course_name": "Saúde Mental",
    },
    ("convite_aula_aberta", "pt_BR"): {
        "header.event_name": "Aula aberta",
        "body.customer_name": "Ana",
        "body.course_name": "Saúde Mental",
        "body.event_date": "12/03 às 19h",
        "button.0": "aula-aberta-sm",
        "button.1": "NAO_POSSO",
    },
    ("lembrete_aula", "pt_BR"): {
        "header.1": "Aula ao vivo",
        "body.1": "Ana",
        "body.2": "Psicopatologia",
        "body.3": "hoje às 19h",
    },
    ("material_do_curso", "pt_BR"): {
        "header.media": "https://example.invalid/aula.pdf",
        "header.filename": "Aula 1.pdf",
        "body.1": "Ana",
        "body.2": "Psicopatologia",
    },
    ("video_boas_vindas", "pt_BR"): {
        "header.media": "https://example.invalid/boas-vindas.mp4",
        "body.1": "Ana",
        "body.2": "Saúde Mental",
    },
    ("local_evento", "pt_BR"): {
        "header.latitude": "-23.5505",
        "header.longitude": "-46.6333",
        "header.name": "CENAT",
        "header.address": "Rua Exemplo, 100 - São Paulo",
        "body.1": "Ana",
        "body.2": "Saúde Mental",
    },
    ("inscricao_confirmada", "pt_BR"): {
        "body.1": "Ana",
        "body.2": "Saúde Mental",
        "button.0": "A1B2C3",
    },
    ("cupom_matricula", "pt_BR"): {
        "body.customer_name": "Ana",
        "body.discount": "10%",
        "button.0": "CENAT10",
        "button.1": "SEM_INTERESSE",
    },
    ("aviso_turma_01", "pt_BR"): {"body.1": "Ana", "body.2": "a aula mudou"},
}


@dataclass
class Hub:
    """A logged-in admin and the channel of the first simulator number."""

    client: httpx.AsyncClient
    headers: dict[str, str]
    channel_id: int


async def setup_hub(client: httpx.AsyncClient, state: AppState) -> Hub:
    channel = await make_channel(state)
    user = await make_user(state)
    headers = await login(client, user.email, ADMIN_PASSWORD)
    return Hub(client, headers, channel.id)


async def list_templates(hub: Hub, **params: Any) -> httpx.Response:
    return await hub.client.get(
        f"/api/channels/{hub.channel_id}/templates", params=params, headers=hub.headers
    )


async def send_template(
    hub: Hub,
    template: str,
    values: dict[str, str],
    language: str = "pt_BR",
    **extra: Any,
) -> httpx.Response:
    recipient = (
        {} if "wa_id" in extra or "phone" in extra else {"phone": "5511900000001"}
    )
    body = {
        **recipient,
        "channel_id": hub.channel_id,
        "template_name": template,
        "language": language,
        "values": values,
        **extra,
    }
    return await hub.client.post("/api/send/template", json=body, headers=hub.headers)
