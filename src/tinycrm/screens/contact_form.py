"""Contact edit's form: what `crm contact edit` changes — names, email, phone, title,
company, status, owner, tags, birthday and custom fields — and how its answer becomes a
`ContactUpdate` of what changed only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tinycrm.screens.dialogs import Field

if TYPE_CHECKING:
    from tinycrm.models import ContactUpdate
    from tinycrm.services.contacts import ContactDetail

STATUSES = ("lead", "prospect", "customer", "inactive")
PLAIN = ("name", "email", "phone", "title", "company", "status", "owner")
"""Fields that go to the update as typed (empty: none)."""
NEW = "new"
"""The form's field for a custom field not there yet, `key=value`."""


def custom_keys(detail: ContactDetail) -> list[str]:
    """The contact's custom fields the form shows one by one (the birthday has its own)."""
    return [k for k in detail.custom if k != "birthday"]


def edit_fields(detail: ContactDetail) -> tuple[dict[str, str], list[Field]]:
    """The form's fields, filled from the contact, and their first values by key."""
    c = detail.row
    initial = {
        "name": c.name,
        "email": c.email or "",
        "phone": c.phone or "",
        "title": c.title or "",
        "company": c.company or "",
        "status": c.status,
        "owner": c.owner or "",
        "tags": ", ".join(c.tags),
        "birthday": str(detail.custom.get("birthday") or ""),
    }
    hints = {
        "owner": "a user's name (empty: nobody)",
        "tags": "comma-separated, e.g. vip, fleet",
        "birthday": "e.g. 1980-04-12 or 04-12 (empty: none)",
    }
    fields = [
        Field(k, k.capitalize(), v, hints.get(k, ""), STATUSES if k == "status" else ())
        for k, v in initial.items()
    ]
    for i, key in enumerate(custom_keys(detail)):
        initial[f"custom-{i}"] = str(detail.custom[key])
        fields.append(Field(f"custom-{i}", key, initial[f"custom-{i}"], "empty removes it"))
    initial[NEW] = ""
    fields.append(Field(NEW, "Add a field", placeholder="key=value, e.g. vat=FR12"))
    return initial, fields


def contact_update(
    initial: dict[str, str], values: dict[str, str], keys: list[str]
) -> ContactUpdate | None:
    """What the form changed, as an update; None when nothing did. `keys` are the custom
    fields the form showed, in order."""
    from tinycrm.errors import InvalidInput
    from tinycrm.models import ContactUpdate

    changed = {k: v for k, v in values.items() if v != initial[k]}
    update: dict[str, Any] = {k: changed[k] or None for k in PLAIN if k in changed}
    if "tags" in changed:
        before, after = _tags(initial["tags"]), _tags(changed["tags"])
        update["add_tags"] = [t for t in after if t not in before]
        update["remove_tags"] = [t for t in before if t not in after]
    custom = {key: changed[f"custom-{i}"] for i, key in enumerate(keys) if f"custom-{i}" in changed}
    if "birthday" in changed:
        custom["birthday"] = changed["birthday"]
    if changed.get(NEW):
        key, sep, value = changed[NEW].partition("=")
        if not sep or not key.strip():
            raise InvalidInput("add a field", changed[NEW], "write it as key=value")
        custom[key.strip()] = value.strip()
    if custom:
        update["custom"] = custom
    return ContactUpdate(**update) if update else None


def _tags(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]
