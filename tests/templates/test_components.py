"""Understanding templates and building Meta's ``components``, for every kind of
template the simulator lists, compared with the documented send shape."""

from typing import Any

import pytest

from cenat_hub.simulator import default_templates
from cenat_hub.templates.components import (
    TemplateStructure,
    build_components,
    build_preview,
    check_values,
    prepare_send,
    understand_template,
)

WABA_ID = "200000000000001"
IMAGE_LINK = "https://example.invalid/curso.jpg"


def simulator_template(name: str, language: str = "pt_BR") -> dict[str, Any]:
    return next(
        t
        for t in default_templates(WABA_ID)
        if t["name"] == name and t["language"] == language
    )


def structure(name: str, language: str = "pt_BR") -> TemplateStructure:
    return understand_template(simulator_template(name, language))


def problem_keys(
    name: str, values: dict[str, str], media_id: str | None = None
) -> list[str]:
    return [p.key for p in check_values(structure(name), values, media_id)]


def test_positional_body_with_footer_and_quick_replies() -> None:
    template = structure("primeiro_contato_pos")
    values = {"body.1": "Ana", "body.2": "Saúde Mental"}

    assert check_values(template, values) == []
    assert build_components(template, values) == [
        {
            "type": "body",
            "parameters": [
                {"type": "text", "text": "Ana"},
                {"type": "text", "text": "Saúde Mental"},
            ],
        }
    ]


def test_quick_reply_payload_is_optional() -> None:
    template = structure("primeiro_contato_pos")
    values = {"body.1": "Ana", "body.2": "SM", "button.1": "AGORA_NAO"}

    assert check_values(template, values) == []
    assert build_components(template, values)[1] == {
        "type": "button",
        "sub_type": "quick_reply",
        "index": 1,
        "parameters": [{"type": "payload", "payload": "AGORA_NAO"}],
    }


def test_named_body_with_image_header_link() -> None:
    template = structure("boas_vindas_curso")
    values = {
        "header.media": IMAGE_LINK,
        "body.customer_name": "Ana",
        "body.course_name": "Saúde Mental",
    }

    assert template.parameter_format == "NAMED"
    assert check_values(template, values) == []
    assert build_components(template, values) == [
        {
            "type": "header",
            "parameters": [{"type": "image", "image": {"link": IMAGE_LINK}}],
        },
        {
            "type": "body",
            "parameters": [
                {"type": "text", "parameter_name": "customer_name", "text": "Ana"},
                {
                    "type": "text",
                    "parameter_name": "course_name",
                    "text": "Saúde Mental",
                },
            ],
        },
    ]


def test_image_header_by_uploaded_media_id() -> None:
    template = structure("boas_vindas_curso")
    values = {"body.customer_name": "Ana", "body.course_name": "SM"}

    assert check_values(template, values, media_id="1234567890") == []
    header = build_components(template, values, media_id="1234567890")[0]
    assert header == {
        "type": "header",
        "parameters": [{"type": "image", "image": {"id": "1234567890"}}],
    }


def test_text_header_variable() -> None:
    template = structure("lembrete_aula")
    values = {
        "header.1": "Aula ao vivo",
        "body.1": "Ana",
        "body.2": "Psicopatologia",
        "body.3": "hoje às 19h",
    }

    assert check_values(template, values) == []
    components = build_components(template, values)
    assert components[0] == {
        "type": "header",
        "parameters": [{"type": "text", "text": "Aula ao vivo"}],
    }
    assert [p["text"] for p in components[1]["parameters"]] == [
        "Ana",
        "Psicopatologia",
        "hoje às 19h",
    ]


def test_document_header_with_filename() -> None:
    template = structure("material_do_curso")
    values = {
        "header.media": "https://example.invalid/aula.pdf",
        "header.filename": "Aula 1.pdf",
        "body.1": "Ana",
        "body.2": "Psicopatologia",
    }

    assert check_values(template, values) == []
    assert build_components(template, values)[0] == {
        "type": "header",
        "parameters": [
            {
                "type": "document",
                "document": {
                    "link": "https://example.invalid/aula.pdf",
                    "filename": "Aula 1.pdf",
                },
            }
        ],
    }


def test_video_header() -> None:
    template = structure("video_boas_vindas")
    values = {
        "header.media": "https://example.invalid/v.mp4",
        "body.1": "Ana",
        "body.2": "SM",
    }

    assert build_components(template, values)[0] == {
        "type": "header",
        "parameters": [
            {"type": "video", "video": {"link": "https://example.invalid/v.mp4"}}
        ],
    }


def test_location_header() -> None:
    template = structure("local_evento")
    values = {
        "header.latitude": "-23.5505",
        "header.longitude": "-46,6333",
        "header.name": "CENAT",
        "header.address": "Rua Exemplo, 100 - São Paulo",
        "body.1": "Ana",
        "body.2": "Saúde Mental",
    }

    assert check_values(template, values) == []
    assert build_components(template, values)[0] == {
        "type": "header",
        "parameters": [
            {
                "type": "location",
                "location": {
                    "latitude": -23.5505,
                    "longitude": -46.6333,
                    "name": "CENAT",
                    "address": "Rua Exemplo, 100 - São Paulo",
                },
            }
        ],
    }


def test_url_button_suffix_and_phone_button() -> None:
    template = structure("inscricao_confirmada")
    values = {"body.1": "Ana", "body.2": "SM", "button.0": "A1B2C3"}

    assert [f.key for f in template.fields] == ["body.1", "body.2", "button.0"]
    assert template.field("button.0").placeholder == "A1B2C3"
    assert check_values(template, values) == []
    assert build_components(template, values)[1:] == [
        {
            "type": "button",
            "sub_type": "url",
            "index": 0,
            "parameters": [{"type": "text", "text": "A1B2C3"}],
        }
    ]


def test_copy_code_and_quick_reply_on_named_template() -> None:
    template = structure("cupom_matricula")
    values = {
        "body.customer_name": "Ana",
        "body.discount": "10%",
        "button.0": "CENAT10",
        "button.1": "SEM_INTERESSE",
    }

    assert check_values(template, values) == []
    assert build_components(template, values)[1:] == [
        {
            "type": "button",
            "sub_type": "copy_code",
            "index": 0,
            "parameters": [{"type": "coupon_code", "coupon_code": "CENAT10"}],
        },
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": 1,
            "parameters": [{"type": "payload", "payload": "SEM_INTERESSE"}],
        },
    ]


def test_send_object_keeps_exact_language() -> None:
    template = structure("primeiro_contato_pos", "en_US")
    prepared = prepare_send(template, {"body.1": "Ana", "body.2": "Mental Health"})

    assert prepared.send_object["name"] == "primeiro_contato_pos"
    assert prepared.send_object["language"] == {
        "code": "en_US",
        "policy": "deterministic",
    }
    assert prepared.body_text.startswith("Hello, Ana! This is the CENAT team.")


def test_fields_carry_meta_examples() -> None:
    welcome = structure("boas_vindas_curso")
    reminder = structure("lembrete_aula")

    assert [(f.key, f.placeholder) for f in welcome.fields] == [
        ("header.media", "https://"),
        ("body.customer_name", "Ana"),
        ("body.course_name", "Saúde Mental e Atenção Psicossocial"),
    ]
    assert reminder.field("header.1").placeholder == "Aula ao vivo"
    assert reminder.field("body.3").placeholder == "hoje às 19h"
    assert reminder.field("header.1").label == "Cabeçalho {{1}}"
    assert welcome.field("body.customer_name").label == "Mensagem {{customer_name}}"


def test_positional_parameters_follow_numbers() -> None:
    template = understand_template(
        {
            "name": "ordem",
            "language": "pt_BR",
            "components": [
                {
                    "type": "BODY",
                    "text": "Curso {{2}} para {{1}}",
                    "example": {"body_text": [["Ana", "SM"]]},
                }
            ],
        }
    )

    components = build_components(template, {"body.1": "Ana", "body.2": "SM"})

    assert [p["text"] for p in components[0]["parameters"]] == ["Ana", "SM"]
    assert template.field("body.2").placeholder == "SM"
    assert template.parameter_format == "POSITIONAL"


def test_named_text_header_uses_parameter_name() -> None:
    template = understand_template(
        {
            "name": "aviso",
            "language": "pt_BR",
            "parameter_format": "NAMED",
            "components": [
                {
                    "type": "HEADER",
                    "format": "TEXT",
                    "text": "Turma {{turma}}",
                    "example": {
                        "header_text_named_params": [
                            {"param_name": "turma", "example": "2026.1"}
                        ]
                    },
                },
                {"type": "BODY", "text": "Olá!"},
            ],
        }
    )

    assert template.field("header.turma").placeholder == "2026.1"
    assert build_components(template, {"header.turma": "2026.2"}) == [
        {
            "type": "header",
            "parameters": [
                {"type": "text", "parameter_name": "turma", "text": "2026.2"}
            ],
        }
    ]


@pytest.mark.parametrize(
    ("component", "reason"),
    [
        ({"type": "CAROUSEL", "cards": []}, "CAROUSEL"),
        ({"type": "HEADER", "format": "PRODUCT"}, "PRODUCT"),
        (
            {"type": "BUTTONS", "buttons": [{"type": "FLOW", "text": "Abrir"}]},
            "FLOW",
        ),
    ],
    ids=["carousel", "product-header", "flow-button"],
)
def test_unsupported_parts_are_named(component: dict[str, Any], reason: str) -> None:
    template = understand_template(
        {
            "name": "x",
            "language": "pt_BR",
            "components": [{"type": "BODY", "text": "Oi"}, component],
        }
    )

    assert template.unsupported_reason is not None
    assert reason in template.unsupported_reason


def test_every_simulator_template_is_understood() -> None:
    for template in default_templates(WABA_ID):
        parsed = understand_template(template)
        assert parsed.unsupported_reason is None, template["name"]
        assert parsed.body_text, template["name"]


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("Ana Teste", True),
        ("Ana    Teste", True),
        ("Ana     Teste", False),
        ("Ana\nTeste", False),
        ("Ana\tTeste", False),
        ("Ana\r\nTeste", False),
    ],
    ids=["plain", "four-spaces", "five-spaces", "newline", "tab", "crlf"],
)
def test_text_parameter_whitespace_rules(value: str, accepted: bool) -> None:
    keys = problem_keys("primeiro_contato_pos", {"body.1": value, "body.2": "SM"})

    assert (keys == []) is accepted


def test_body_parameter_limit_depends_on_other_components() -> None:
    with_footer = structure("primeiro_contato_pos")
    body_only = structure("pesquisa_satisfacao")

    assert with_footer.field("body.1").max_length == 1024
    assert body_only.field("body.1").max_length == 32768
    long_value = "a" * 1025
    assert problem_keys(
        "primeiro_contato_pos", {"body.1": long_value, "body.2": "x"}
    ) == ["body.1"]
    assert check_values(body_only, {"body.1": long_value}) == []


def test_header_longer_than_60_when_filled() -> None:
    values = {"header.1": "x" * 55, "body.1": "a", "body.2": "b", "body.3": "c"}

    problems = check_values(structure("lembrete_aula"), values)

    assert [p.key for p in problems] == ["header.1"]
    assert "60" in problems[0].message


@pytest.mark.parametrize(
    ("name", "values", "media_id", "expected"),
    [
        ("primeiro_contato_pos", {"body.1": "Ana"}, None, ["body.2"]),
        ("primeiro_contato_pos", {"body.1": "Ana", "body.2": " "}, None, ["body.2"]),
        (
            "primeiro_contato_pos",
            {"body.1": "Ana", "body.2": "SM", "body.3": "x"},
            None,
            ["body.3"],
        ),
        (
            "boas_vindas_curso",
            {"body.customer_name": "Ana", "body.course_name": "SM"},
            None,
            ["header.media"],
        ),
        (
            "boas_vindas_curso",
            {
                "header.media": "ftp://example.invalid/x.jpg",
                "body.customer_name": "Ana",
                "body.course_name": "SM",
            },
            None,
            ["header.media"],
        ),
        (
            "boas_vindas_curso",
            {
                "header.media": IMAGE_LINK,
                "body.customer_name": "Ana",
                "body.course_name": "SM",
            },
            "1234",
            ["header.media"],
        ),
        (
            "primeiro_contato_pos",
            {"body.1": "A", "body.2": "B"},
            "1234",
            ["header.media"],
        ),
        (
            "inscricao_confirmada",
            {"body.1": "Ana", "body.2": "SM", "button.0": "A1 B2"},
            None,
            ["button.0"],
        ),
        (
            "inscricao_confirmada",
            {"body.1": "Ana", "body.2": "SM", "button.0": "x" * 2000},
            None,
            ["button.0"],
        ),
        (
            "cupom_matricula",
            {"body.customer_name": "Ana", "body.discount": "10%", "button.0": "C" * 16},
            None,
            ["button.0"],
        ),
        (
            "local_evento",
            {
                "header.latitude": "-91",
                "header.longitude": "abc",
                "header.name": "CENAT",
                "header.address": "Rua",
                "body.1": "Ana",
                "body.2": "SM",
            },
            None,
            ["header.latitude", "header.longitude"],
        ),
    ],
    ids=[
        "missing",
        "blank",
        "unknown-field",
        "missing-media",
        "not-http-link",
        "link-and-id",
        "id-without-media-header",
        "url-suffix-space",
        "url-too-long",
        "coupon-too-long",
        "coordinates",
    ],
)
def test_check_values_names_the_field(
    name: str, values: dict[str, str], media_id: str | None, expected: list[str]
) -> None:
    problems = check_values(structure(name), values, media_id)

    assert [p.key for p in problems] == expected
    for problem in problems:
        assert problem.message.startswith(f"Field {problem.key} ")
        assert problem.portuguese


def test_rendered_template_for_storage() -> None:
    template = structure("inscricao_confirmada")
    values = {"body.1": "Ana", "body.2": "Saúde Mental", "button.0": "A1B2C3"}

    rendered = prepare_send(template, values).rendered

    assert rendered["body"] == (
        "Ana, sua inscrição na Pós-Graduação Saúde Mental foi confirmada!"
    )
    assert rendered["footer"] == "CENAT - Educação em Saúde Mental"
    assert rendered["buttons"] == [
        {
            "type": "URL",
            "text": "Ver inscrição",
            "url": "https://example.invalid/inscricao/A1B2C3",
        },
        {
            "type": "PHONE_NUMBER",
            "text": "Falar com a secretaria",
            "phone_number": "+5511900000100",
        },
    ]
    assert rendered["header"] is None


def test_preview_marks_empty_variables() -> None:
    template = structure("boas_vindas_curso")

    preview = build_preview(
        template, {"body.customer_name": "Ana", "header.media": IMAGE_LINK}
    )

    filled = [(s.text, s.filled) for s in preview.body_segments if s.variable]
    assert filled == [("Ana", True), ("{{course_name}}", False)]
    assert preview.media_label == "Imagem"
    assert preview.media_name == "curso.jpg"
    assert preview.buttons == [
        {
            "type": "URL",
            "text": "Acessar portal",
            "url": "https://example.invalid/portal",
        }
    ]
