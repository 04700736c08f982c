"""How the CRM pages write times, numbers and history entries in Portuguese."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from cenat_hub.contacts.phone import is_phone_wa_id
from cenat_hub.crm import service
from cenat_hub.crm.schemas import LeadEventOut
from cenat_hub.db.types import utcnow
from cenat_hub.errors import CenatHubError, NotFoundError

PALETTE_LABELS = {
    "gray": "Cinza",
    "red": "Vermelho",
    "orange": "Laranja",
    "yellow": "Amarelo",
    "green": "Verde",
    "teal": "Verde-azulado",
    "blue": "Azul",
    "indigo": "Anil",
    "purple": "Roxo",
    "pink": "Rosa",
}

IMPORT_REJECTION_LABELS = {
    "missing_phone": "telefone vazio",
    "invalid_phone": "telefone inválido (use DDD e número)",
    "name_too_long": "nome com mais de 255 caracteres",
    "invalid_status": "status desconhecido (use Novo, Contato, Qualificado, "
    "Matriculado ou Perdido)",
    "lost_reason_required": "status Perdido sem motivo (preencha a coluna lost_reason)",
    "lost_reason_too_long": "motivo de perda com mais de 500 caracteres",
    "tag_too_long": "tag com mais de 50 caracteres",
    "too_many_tags": "mais de 20 tags na linha",
}


class Display:
    """Formatting helpers handed to the CRM templates as ``fmt``."""

    def __init__(self, timezone: str, now: datetime | None = None) -> None:
        self.zone = ZoneInfo(timezone)
        self.now = now or utcnow()

    def status_label(self, status: str) -> str:
        return service.LEAD_STATUS_LABELS.get(status, status)

    def date(self, moment: datetime | None) -> str:
        return moment.astimezone(self.zone).strftime("%d/%m/%Y") if moment else "—"

    def date_time(self, moment: datetime | None) -> str:
        if moment is None:
            return "—"
        return moment.astimezone(self.zone).strftime("%d/%m/%Y %H:%M")

    def ago(self, moment: datetime | None) -> str:
        """Return "há 5 min"-style text for a past moment, or a date when old."""
        if moment is None:
            return "sem mensagens"
        elapsed = self.now - moment
        if elapsed < timedelta(minutes=1):
            return "agora"
        if elapsed < timedelta(hours=1):
            return f"há {elapsed // timedelta(minutes=1)} min"
        if elapsed < timedelta(days=1):
            return f"há {elapsed // timedelta(hours=1)} h"
        days = elapsed.days
        if days < 30:
            return "há 1 dia" if days == 1 else f"há {days} dias"
        return self.date(moment)

    def closes_in(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        remaining = moment - self.now
        if remaining < timedelta(hours=1):
            minutes = max(1, remaining // timedelta(minutes=1))
            return f"fecha em {minutes} min"
        return f"fecha em {remaining // timedelta(hours=1)} h"

    def phone(self, wa_id: str) -> str:
        """Return a readable number: "+55 11 98765-4321" for Brazilian mobiles."""
        if not is_phone_wa_id(wa_id):
            return wa_id
        if wa_id.startswith("55") and len(wa_id) in (12, 13):
            local = wa_id[4:]
            return f"+55 {wa_id[2:4]} {local[:-4]}-{local[-4:]}"
        return f"+{wa_id}"

    def tel_href(self, wa_id: str) -> str | None:
        return f"tel:+{wa_id}" if is_phone_wa_id(wa_id) else None

    def event(self, event: LeadEventOut) -> str:
        """Describe one history entry in a short sentence."""
        old = event.old_value or {}
        new = event.new_value or {}
        if event.kind == service.EVENT_STATUS_CHANGED:
            text = (
                f"Status: {self.status_label(old.get('lead_status', '?'))} → "
                f"{self.status_label(new.get('lead_status', '?'))}"
            )
            reasons = [new.get("lost_reason"), new.get("lost_reason_text")]
            reason = "; ".join(str(part) for part in reasons if part)
            return f"{text} ({reason})" if reason else text
        if event.kind == service.EVENT_TAG_ADDED:
            return f"Tag adicionada: {new.get('name', '?')}"
        if event.kind == service.EVENT_TAG_REMOVED:
            return f"Tag removida: {old.get('name', '?')}"
        if event.kind == service.EVENT_NOTES_CHANGED:
            return "Notas apagadas" if not new.get("notes") else "Notas editadas"
        return event.kind


def portuguese_error(exc: CenatHubError) -> str:
    """Return the message a page shows for a rejected CRM action."""
    if isinstance(exc, service.LostReasonRequiredError):
        return "Para marcar como Perdido, escolha um motivo ou descreva-o."
    if isinstance(exc, service.DuplicateTagError):
        return "Já existe uma tag com esse nome (maiúsculas e minúsculas não contam)."
    if isinstance(exc, service.InvalidColorError):
        return "Cor inválida: escolha uma cor da paleta ou um código #rrggbb."
    if isinstance(exc, service.InvalidTagError):
        return f"O nome da tag deve ter de 1 a {service.MAX_TAG_NAME_CHARS} caracteres."
    if isinstance(exc, service.NotesTooLongError):
        limit = f"{service.MAX_NOTES_CHARS:,}".replace(",", ".")
        return f"As notas passam de {limit} caracteres e não foram salvas. Encurte o texto."
    if isinstance(exc, service.InvalidStatusError):
        return "Status inválido."
    if isinstance(exc, NotFoundError):
        return "Não encontrado: o contato, a tag ou o motivo pode ter sido removido."
    if exc.status_code == 413:
        return "Arquivo grande demais: envie até 2 MiB e 5.000 linhas por arquivo."
    if exc.status_code == 403:
        return "Sessão expirada ou sem permissão. Recarregue a página."
    return "Não foi possível salvar. Confira os dados e tente de novo."
