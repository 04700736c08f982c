"""Default message templates, in the shape ``GET /<WABA_ID>/message_templates``
returns them, with Brazilian Portuguese texts for CENAT's courses."""

import zlib
from typing import Any

_FOOTER = {"type": "FOOTER", "text": "CENAT - Educação em Saúde Mental"}
_IMAGE_HANDLE = "4::aW1hZ2UvanBlZw==:SIMULATOR-IMAGE-HANDLE"
_VIDEO_HANDLE = "4::dmlkZW8vbXA0:SIMULATOR-VIDEO-HANDLE"
_DOCUMENT_HANDLE = "4::YXBwbGljYXRpb24vcGRm:SIMULATOR-DOCUMENT-HANDLE"
_GENERATED_NOTICE_COUNT = 20


def default_templates(waba_id: str) -> list[dict[str, Any]]:
    """Build the default template set of one WABA.

    The set covers every header format the hub sends: text with a variable
    (positional and named), image, document, video and location. It has named and
    positional parameters, footers, and QUICK_REPLY, URL (static and dynamic),
    PHONE_NUMBER and COPY_CODE buttons. One template is en_US, and one each is
    PAUSED, REJECTED and DISABLED. Generated notices bring the total past 25, so a
    listing spans two pages at Meta's default limit.
    """
    templates = [
        _first_contact(),
        _first_contact_english(),
        _course_welcome(),
        _open_class_invitation(),
        _class_reminder(),
        _course_material(),
        _welcome_video(),
        _event_location(),
        _enrolment_confirmed(),
        _enrolment_coupon(),
        _satisfaction_survey(),
        _flash_offer(),
        _old_notice(),
    ]
    templates += [
        _class_notice(number) for number in range(1, _GENERATED_NOTICE_COUNT + 1)
    ]
    for template in templates:
        template["waba_id"] = waba_id
        template["id"] = _template_id(waba_id, template["name"], template["language"])
    return templates


def _template_id(waba_id: str, name: str, language: str) -> str:
    """Derive a stable 15-digit id, so restarts keep template ids."""
    checksum = zlib.crc32(f"{waba_id}:{name}:{language}".encode())
    return str(100_000_000_000_000 + checksum)


def _template(
    name: str,
    category: str,
    components: list[dict[str, Any]],
    language: str = "pt_BR",
    status: str = "APPROVED",
    parameter_format: str = "POSITIONAL",
) -> dict[str, Any]:
    return {
        "name": name,
        "parameter_format": parameter_format,
        "components": components,
        "language": language,
        "status": status,
        "category": category,
    }


def _body(text: str, *examples: str) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "BODY", "text": text}
    if examples:
        body["example"] = {"body_text": [list(examples)]}
    return body


def _named_body(text: str, examples: dict[str, str]) -> dict[str, Any]:
    named = [{"param_name": name, "example": value} for name, value in examples.items()]
    return {"type": "BODY", "text": text, "example": {"body_text_named_params": named}}


def _media_header(header_format: str, handle: str) -> dict[str, Any]:
    return {
        "type": "HEADER",
        "format": header_format,
        "example": {"header_handle": [handle]},
    }


def _buttons(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"type": "BUTTONS", "buttons": list(buttons)}


def _quick_reply(text: str) -> dict[str, Any]:
    return {"type": "QUICK_REPLY", "text": text}


def _first_contact() -> dict[str, Any]:
    body = _body(
        "Olá, {{1}}, tudo bem? Aqui é a equipe do CENAT. Vimos que você se interessou "
        "pela Pós-Graduação {{2}}. Podemos conversar sobre as próximas turmas?",
        "Ana",
        "Saúde Mental",
    )
    buttons = _buttons(_quick_reply("Quero saber mais"), _quick_reply("Agora não"))
    return _template("primeiro_contato_pos", "MARKETING", [body, _FOOTER, buttons])


def _first_contact_english() -> dict[str, Any]:
    body = _body(
        "Hello, {{1}}! This is the CENAT team. You showed interest in our {{2}} "
        "postgraduate course. Can we talk about the next classes?",
        "Ana",
        "Mental Health",
    )
    return _template("primeiro_contato_pos", "MARKETING", [body], language="en_US")


def _course_welcome() -> dict[str, Any]:
    body = _named_body(
        "Oi, {{customer_name}}! Seja bem-vindo(a) ao curso {{course_name}}. "
        "Sua turma começa em breve.",
        {"customer_name": "Ana", "course_name": "Saúde Mental e Atenção Psicossocial"},
    )
    portal = {
        "type": "URL",
        "text": "Acessar portal",
        "url": "https://example.invalid/portal",
    }
    components = [
        _media_header("IMAGE", _IMAGE_HANDLE),
        body,
        _FOOTER,
        _buttons(portal),
    ]
    return _template(
        "boas_vindas_curso", "MARKETING", components, parameter_format="NAMED"
    )


def _open_class_invitation() -> dict[str, Any]:
    header = {
        "type": "HEADER",
        "format": "TEXT",
        "text": "Convite: {{event_name}}",
        "example": {
            "header_text_named_params": [
                {"param_name": "event_name", "example": "Aula aberta"}
            ]
        },
    }
    body = _named_body(
        "{{customer_name}}, você está convidado(a) para a aula aberta de "
        "{{course_name}} em {{event_date}}.",
        {
            "customer_name": "Ana",
            "course_name": "Saúde Mental",
            "event_date": "12/03 às 19h",
        },
    )
    signup = {
        "type": "URL",
        "text": "Garantir vaga",
        "url": "https://example.invalid/eventos/{{1}}",
        "example": ["https://example.invalid/eventos/aula-aberta-sm"],
    }
    components = [header, body, _FOOTER, _buttons(signup, _quick_reply("Não posso"))]
    return _template(
        "convite_aula_aberta", "MARKETING", components, parameter_format="NAMED"
    )


def _class_reminder() -> dict[str, Any]:
    header = {
        "type": "HEADER",
        "format": "TEXT",
        "text": "Lembrete: {{1}}",
        "example": {"header_text": ["Aula ao vivo"]},
    }
    body = _body(
        "{{1}}, sua aula de {{2}} começa {{3}}. Até lá!",
        "Ana",
        "Psicopatologia",
        "hoje às 19h",
    )
    return _template("lembrete_aula", "UTILITY", [header, body, _FOOTER])


def _course_material() -> dict[str, Any]:
    header = _media_header("DOCUMENT", _DOCUMENT_HANDLE)
    body = _body(
        "Olá, {{1}}! Segue o material da aula de {{2}}.", "Ana", "Psicopatologia"
    )
    return _template("material_do_curso", "UTILITY", [header, body, _FOOTER])


def _welcome_video() -> dict[str, Any]:
    header = _media_header("VIDEO", _VIDEO_HANDLE)
    body = _body(
        "{{1}}, preparamos um vídeo sobre a Pós-Graduação {{2}} para você.",
        "Ana",
        "Saúde Mental",
    )
    return _template("video_boas_vindas", "MARKETING", [header, body, _FOOTER])


def _event_location() -> dict[str, Any]:
    header = {"type": "HEADER", "format": "LOCATION"}
    body = _body(
        "{{1}}, o encontro presencial de {{2}} será no endereço acima.",
        "Ana",
        "Saúde Mental",
    )
    return _template("local_evento", "UTILITY", [header, body])


def _enrolment_confirmed() -> dict[str, Any]:
    body = _body(
        "{{1}}, sua inscrição na Pós-Graduação {{2}} foi confirmada!",
        "Ana",
        "Saúde Mental",
    )
    details = {
        "type": "URL",
        "text": "Ver inscrição",
        "url": "https://example.invalid/inscricao/{{1}}",
        "example": ["https://example.invalid/inscricao/A1B2C3"],
    }
    call = {
        "type": "PHONE_NUMBER",
        "text": "Falar com a secretaria",
        "phone_number": "+5511900000100",
    }
    components = [body, _FOOTER, _buttons(details, call)]
    return _template("inscricao_confirmada", "UTILITY", components)


def _enrolment_coupon() -> dict[str, Any]:
    body = _named_body(
        "{{customer_name}}, use o cupom abaixo e ganhe {{discount}} de desconto "
        "na matrícula.",
        {"customer_name": "Ana", "discount": "10%"},
    )
    buttons = _buttons(
        {"type": "COPY_CODE", "example": "CENAT10"},
        _quick_reply("Não tenho interesse"),
    )
    return _template(
        "cupom_matricula", "MARKETING", [body, buttons], parameter_format="NAMED"
    )


def _satisfaction_survey() -> dict[str, Any]:
    body = _body(
        "{{1}}, como foi sua experiência com o CENAT? Responda de 1 a 5.", "Ana"
    )
    return _template("pesquisa_satisfacao", "UTILITY", [body], status="PAUSED")


def _flash_offer() -> dict[str, Any]:
    body = _body("Só hoje! Todas as pós com 50% de desconto. Corra, {{1}}!", "Ana")
    template = _template("oferta_relampago", "MARKETING", [body], status="REJECTED")
    template["rejected_reason"] = "PROMOTIONAL"
    return template


def _old_notice() -> dict[str, Any]:
    body = _body("{{1}}, temos novidades sobre as turmas de 2025.", "Ana")
    return _template("aviso_antigo", "MARKETING", [body], status="DISABLED")


def _class_notice(number: int) -> dict[str, Any]:
    body = _body(
        f"Olá, {{{{1}}}}! Aviso da turma {number:02d}: {{{{2}}}}.",
        "Ana",
        "a aula de sábado foi remarcada",
    )
    return _template(f"aviso_turma_{number:02d}", "UTILITY", [body, _FOOTER])
