"""`crm product …`: the product catalogue a deal's or a quote's lines name by SKU.

Everyone reads it; changing it takes the products grants (admins and managers by default).
A product a line names is archived by `rm`, never deleted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from tinycrm.commands.base import App
from tinycrm.commands.common import IfVersion, confirm
from tinycrm.commands.render import Format, FormatOption, as_row, done, emit, emit_record
from tinycrm.context import state

if TYPE_CHECKING:
    from tinycrm.services.products import ProductRow

app = App(no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="Product SKU or id.")]
Currency = Annotated[
    str | None, typer.Option("--currency", help="ISO 4217 code (default: the configured one).")
]
Unit = Annotated[str | None, typer.Option("--unit", help="What one is: unit, hour, seat …")]
COLUMNS = ("id", "sku", "name", "price", "currency", "unit", "archived")


def _row(row: ProductRow) -> dict[str, Any]:
    return as_row(row)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The product's name.")],
    sku: Annotated[str, typer.Option("--sku", help="Its stock-keeping unit, one word.")],
    price: Annotated[
        str, typer.Option("--price", help="List price per unit, e.g. 4821 or €48.21.")
    ],
    currency: Currency = None,
    unit: Unit = None,
) -> None:
    """Add a product to the catalogue."""
    from tinycrm.services import products

    st = state()
    with st.session(write=True) as session:
        row = products.create_product(
            session, sku=sku, name=name, price=price, currency=currency,
            default_currency=st.settings.currency, unit=unit, yen=st.yen,
        )  # fmt: skip
    done(f"product {row.sku} added: {row.name} at {row.price}")


@app.command("list")
def list_(
    archived: Annotated[
        bool, typer.Option("--archived", help="Include archived products.")
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """List the catalogue by SKU."""
    from tinycrm.services import products

    st = state()
    with st.session(write=False) as session:
        rows = products.list_products(session, archived=archived)
    emit([_row(r) for r in rows], fmt, st.tz, columns=COLUMNS, empty="no products")


@app.command("show")
def show(ref: Ref, fmt: FormatOption = Format.table) -> None:
    """Show one product."""
    from tinycrm.services import products

    st = state()
    with st.session(write=False) as session:
        row = products.get_product(session, ref=ref)
    emit_record(_row(row), fmt, st.tz)


@app.command("edit")
def edit(
    ref: Ref,
    name: Annotated[str | None, typer.Option("--name", help="New name.")] = None,
    sku: Annotated[str | None, typer.Option("--sku", help="New SKU.")] = None,
    price: Annotated[str | None, typer.Option("--price", help="New list price.")] = None,
    currency: Currency = None,
    unit: Unit = None,
    if_version: IfVersion = None,
) -> None:
    """Change a product; lines already written keep their price."""
    from tinycrm.services import products

    st = state()
    with st.session(write=True) as session:
        row = products.update_product(
            session, ref=ref, name=name, sku=sku, price=price, currency=currency, unit=unit,
            yen=st.yen, version=if_version,
        )  # fmt: skip
    done(f"product {row.sku} updated: {row.name} at {row.price}")


@app.command("rm")
def rm(
    ref: Ref, yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False
) -> None:
    """Delete a product, or archive it when a line names it."""
    from tinycrm.services import products

    st = state()
    with st.session(write=False) as session:
        row = products.get_product(session, ref=ref)
    confirm(f"remove product {row.sku} ({row.name})?", yes=yes)
    with st.session(write=True) as session:
        row, archived = products.remove_product(session, ref=row.id)
    done(f"product {row.sku} " + ("archived: lines name it" if archived else "deleted"))
