"""A ledger row's customer by name, in SQL: its company's name, else its contact's."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func

from tinycrm.models import Company, Contact
from tinycrm.models.base import table_of

COMPANIES = table_of(Company)
CONTACTS = table_of(Contact)


def joined(table: Any) -> Any:
    """`table` with the company and the contact its rows name (the read scope applies: a
    customer the reader cannot read leaves their rows out)."""
    return table.outerjoin(COMPANIES, COMPANIES.c.id == table.c.company_id).outerjoin(
        CONTACTS, CONTACTS.c.id == table.c.contact_id
    )


def customer_name() -> Any:
    return func.coalesce(COMPANIES.c.name, CONTACTS.c.full_name).label("customer")


def visible(table: Any) -> Any:
    """The rows whose customer the reader may read (with `joined`)."""
    return (COMPANIES.c.id.is_not(None) & table.c.company_id.is_not(None)) | (
        CONTACTS.c.id.is_not(None) & table.c.contact_id.is_not(None)
    )
