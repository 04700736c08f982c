"""How the CRM pages write times, numbers and history entries in the user's language."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from cenat_hub.contacts.phone import is_phone_wa_id
from cenat_hub.crm import service
from cenat_hub.crm.schemas import LeadEventOut
from cenat_hub.db.types import utcnow
from cenat_hub.errors import CenatHubError, NotFoundError
from cenat_hub.i18n import (
    N_,
    format_date,
    format_datetime,
    format_number,
    gettext,
    ngettext,
)
from cenat_hub.models.contact import LEAD_STATUSES

# Lead statuses as the CRM pages name them (the CSV import keeps its own
# Portuguese names in the service).
STATUS_LABELS = {
    "novo": N_("New"),
    "contato": N_("Contact"),
    "qualificado": N_("Qualified"),
    "matriculado": N_("Enrolled"),
    "perdido": N_("Lost"),
}

PALETTE_LABELS = {
    "gray": N_("Gray"),
    "red": N_("Red"),
    "orange": N_("Orange"),
    "yellow": N_("Yellow"),
    "green": N_("Green"),
    "teal": N_("Teal"),
    "blue": N_("Blue"),
    "indigo": N_("Indigo"),
    "purple": N_("Purple"),
    "pink": N_("Pink"),
}

IMPORT_REJECTION_LABELS = {
    "missing_phone": N_("empty phone"),
    "invalid_phone": N_("invalid phone (use area code and number)"),
    "name_too_long": N_("name longer than 255 characters"),
    "invalid_status": N_(
        "unknown status (use Novo, Contato, Qualificado, Matriculado or Perdido)"
    ),
    "lost_reason_required": N_(
        "status Perdido without a reason (fill in the lost_reason column)"
    ),
    "lost_reason_too_long": N_("lost reason longer than 500 characters"),
    "tag_too_long": N_("tag longer than 50 characters"),
    "too_many_tags": N_("more than 20 tags in the row"),
}


def status_choices() -> list[tuple[str, str]]:
    """Return every lead status with its name in the current language."""
    return [(status, gettext(STATUS_LABELS[status])) for status in LEAD_STATUSES]


class Display:
    """Formatting helpers handed to the CRM templates as ``fmt``.

    Texts follow the current locale; times are shown in the team's zone.
    """

    def __init__(self, timezone: str, now: datetime | None = None) -> None:
        self.zone = ZoneInfo(timezone)
        self.now = now or utcnow()

    def status_label(self, status: str) -> str:
        return gettext(STATUS_LABELS[status]) if status in STATUS_LABELS else status

    def palette_label(self, color: str) -> str:
        return gettext(PALETTE_LABELS[color]) if color in PALETTE_LABELS else color

    def rejection(self, code: str, reason: str) -> str:
        label = IMPORT_REJECTION_LABELS.get(code)
        return gettext(label) if label else reason

    def date(self, moment: datetime | None) -> str:
        if moment is None:
            return "—"
        return format_date(moment.astimezone(self.zone).date(), "short")

    def date_time(self, moment: datetime | None) -> str:
        if moment is None:
            return "—"
        return format_datetime(moment, self.zone)

    def ago(self, moment: datetime | None) -> str:
        """Return "5 min ago"-style text for a past moment, or a date when old."""
        if moment is None:
            return gettext("no messages")
        elapsed = self.now - moment
        if elapsed < timedelta(minutes=1):
            return gettext("now")
        if elapsed < timedelta(hours=1):
            minutes = elapsed // timedelta(minutes=1)
            return gettext("{minutes} min ago").format(minutes=minutes)
        if elapsed < timedelta(days=1):
            hours = elapsed // timedelta(hours=1)
            return gettext("{hours} h ago").format(hours=hours)
        days = elapsed.days
        if days < 30:
            return ngettext("%(num)d day ago", "%(num)d days ago", days) % {"num": days}
        return self.date(moment)

    def closes_in(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        remaining = moment - self.now
        if remaining < timedelta(hours=1):
            minutes = max(1, remaining // timedelta(minutes=1))
            return gettext("closes in {minutes} min").format(minutes=minutes)
        hours = remaining // timedelta(hours=1)
        return gettext("closes in {hours} h").format(hours=hours)

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
            text = gettext("Status: {old} → {new}").format(
                old=self.status_label(old.get("lead_status", "?")),
                new=self.status_label(new.get("lead_status", "?")),
            )
            reasons = [new.get("lost_reason"), new.get("lost_reason_text")]
            reason = "; ".join(str(part) for part in reasons if part)
            return f"{text} ({reason})" if reason else text
        if event.kind == service.EVENT_TAG_ADDED:
            return gettext("Tag added: {name}").format(name=new.get("name", "?"))
        if event.kind == service.EVENT_TAG_REMOVED:
            return gettext("Tag removed: {name}").format(name=old.get("name", "?"))
        if event.kind == service.EVENT_NOTES_CHANGED:
            return (
                gettext("Notes cleared")
                if not new.get("notes")
                else gettext("Notes edited")
            )
        return event.kind


def page_error(exc: CenatHubError) -> str:
    """Return the message a page shows for a rejected CRM action."""
    if isinstance(exc, service.LostReasonRequiredError):
        return gettext("To mark the lead as Lost, choose a reason or describe it.")
    if isinstance(exc, service.DuplicateTagError):
        return gettext(
            "A tag with this name already exists (letter case does not count)."
        )
    if isinstance(exc, service.InvalidColorError):
        return gettext("Invalid colour: choose a palette colour or a #rrggbb code.")
    if isinstance(exc, service.InvalidTagError):
        return gettext("The tag name must have 1 to {limit} characters.").format(
            limit=service.MAX_TAG_NAME_CHARS
        )
    if isinstance(exc, service.NotesTooLongError):
        return gettext(
            "The notes are longer than {limit} characters and were not saved. "
            "Shorten the text."
        ).format(limit=format_number(service.MAX_NOTES_CHARS))
    if isinstance(exc, service.InvalidStatusError):
        return gettext("Invalid status.")
    if isinstance(exc, NotFoundError):
        return gettext(
            "Not found: the contact, the tag or the reason may have been removed."
        )
    if exc.status_code == 413:
        return gettext("File too large: send up to 2 MiB and 5,000 rows per file.")
    if exc.status_code == 403:
        return gettext("Session expired or not allowed. Reload the page.")
    return gettext("Could not save. Check the data and try again.")


def invalid_csv_message() -> str:
    return gettext(
        "The file is not a valid CSV: the first row must have the column names, "
        "for example name,phone,status,tags."
    )
