"""Meta's Graph API errors, and what they mean for an agent in Portuguese."""

from dataclasses import dataclass
from typing import Any

# Codes for which sending the same request again can succeed (throttling and
# transient failures); 5xx responses are retried whatever their code.
RETRYABLE_CODES = frozenset({4, 80007, 130429, 131000, 131016})

_PORTUGUESE_EXPLANATIONS = {
    0: "Falha de autenticação com a Meta. Verifique o token do canal.",
    4: "Limite de chamadas da API atingido. Tente novamente em instantes.",
    10: "O token do canal não tem permissão para esta ação.",
    100: "Parâmetro inválido na requisição enviada à Meta.",
    190: "Token de acesso do canal expirado ou inválido. Atualize o token em Canais.",
    368: "Número bloqueado temporariamente por violação de políticas.",
    80007: "Limite de requisições da conta WhatsApp Business atingido. Tente mais tarde.",
    130429: "Limite de envio por segundo do número atingido. Tente novamente em instantes.",
    130472: "O número do lead faz parte de um experimento de marketing da Meta; "
    "a mensagem não foi enviada.",
    131000: "Erro desconhecido na Meta. Tente novamente.",
    131005: "Acesso negado pela Meta para esta ação.",
    131008: "Falta um parâmetro obrigatório na mensagem.",
    131009: "Um valor da mensagem é inválido.",
    131016: "Serviço da Meta indisponível no momento. Tente novamente.",
    131021: "Não é possível enviar mensagem para o próprio número.",
    131026: "Mensagem não entregue: o número não tem WhatsApp, não aceitou os termos "
    "ou usa uma versão antiga do aplicativo.",
    131030: "O número do lead não está na lista de números permitidos do número de teste.",
    131031: "A conta WhatsApp Business está bloqueada ou restrita.",
    131042: "Problema com a forma de pagamento da conta WhatsApp Business.",
    131045: "Erro de registro do número de telefone na Meta.",
    131047: "Mais de 24 horas desde a última mensagem do lead. Envie um template aprovado.",
    131048: "Limite de spam atingido: muitas mensagens deste número foram bloqueadas ou "
    "denunciadas.",
    131049: "A Meta não entregou esta mensagem de marketing para preservar o engajamento "
    "do lead. Não reenvie nas próximas 24 horas.",
    131050: "O lead optou por não receber mensagens de marketing.",
    131051: "Tipo de mensagem não suportado.",
    131052: "Não foi possível baixar a mídia enviada pelo lead.",
    131053: "Não foi possível enviar a mídia. Verifique o arquivo e tente novamente.",
    131056: "Muitas mensagens para o mesmo lead em pouco tempo. Aguarde antes de enviar "
    "outra.",
    131057: "A conta WhatsApp Business está em manutenção.",
    131062: "Este tipo de mensagem não pode ser enviado para um lead identificado só pelo "
    "ID de usuário.",
    131063: "Templates de marketing estão desativados para esta conta na Cloud API.",
    132000: "O número de variáveis não corresponde ao template.",
    132001: "O template não existe neste idioma ou ainda não foi aprovado.",
    132005: "O texto do template ficou longo demais com as variáveis preenchidas.",
    132007: "O conteúdo do template viola as políticas do WhatsApp.",
    132008: "O formato de uma variável do template é inválido.",
    132012: "O formato das variáveis não corresponde ao template.",
    132015: "O template está pausado por baixa qualidade.",
    132016: "O template foi desativado permanentemente por baixa qualidade.",
    133010: "O número não está registrado na Cloud API.",
    137000: "A identidade do lead mudou; a mensagem não foi entregue.",
}


def explain_in_portuguese(code: int | None, title: str | None = None) -> str:
    """Return an agent-facing explanation of a Meta error code."""
    if code is not None and code in _PORTUGUESE_EXPLANATIONS:
        return _PORTUGUESE_EXPLANATIONS[code]
    suffix = f" (código {code})" if code is not None else ""
    return f"A Meta recusou a mensagem{suffix}." + (
        f" Detalhe: {title}" if title else ""
    )


@dataclass
class GraphAPIError(Exception):
    """An error answer of the Graph API, in Meta's ``{"error": {...}}`` shape."""

    http_status: int
    code: int | None
    title: str
    details: str | None = None
    error_subcode: int | None = None
    fbtrace_id: str | None = None

    def __str__(self) -> str:
        return f"Graph API error {self.code} (HTTP {self.http_status}): {self.title}"

    @property
    def is_retryable(self) -> bool:
        return (
            self.http_status >= 500
            or self.http_status == 429
            or (self.code in RETRYABLE_CODES)
        )

    @property
    def portuguese(self) -> str:
        return explain_in_portuguese(self.code, self.title)

    @classmethod
    def from_response(cls, http_status: int, body: Any) -> "GraphAPIError":
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return cls(http_status, None, f"HTTP {http_status} without an error body")
        code = error.get("code")
        subcode = error.get("error_subcode")
        error_data = error.get("error_data")
        details = error_data.get("details") if isinstance(error_data, dict) else None
        return cls(
            http_status=http_status,
            code=code if isinstance(code, int) else None,
            title=str(error.get("message") or "unknown error")[:500],
            details=str(details)[:1000] if details else None,
            error_subcode=subcode if isinstance(subcode, int) else None,
            fbtrace_id=str(error.get("fbtrace_id"))
            if error.get("fbtrace_id")
            else None,
        )
