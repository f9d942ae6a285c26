"""Column types and columns shared by several tables, and the limits typed text is held to:
an input model's and a column's, each refused in one line naming the field."""

from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from pydantic import ValidationError
from sqlalchemy import JSON, DateTime, Table, event, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, declared_attr
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from tinycrm.errors import InvalidInput

# Named constraints let migrations drop and alter them on every backend (SQLite batch mode too).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a SQLModel class."""
    return cast(Table, inspect(model).local_table)


class Model(SQLModel):
    """The base of every tinycrm model. Pydantic builds a model's validator the first time
    the model validates something, not when its class is defined: most commands validate few
    models or none, and building them all was about a third of importing the models (some
    50 ms of every command that opens the database)."""

    model_config = SQLModel.model_config | {"defer_build": True}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no time zone type: values are stored as naive UTC text, so the type
    refuses naive datetimes on the way in instead of guessing what they meant.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ImportedColumns(Model):
    """The columns of a record `crm import` writes: its custom fields, its id elsewhere, and
    the import that created it.

    SQLModel puts a base class's fields before the class's own, and backups write a table's
    columns in that order: a table lists these after its own keys by inheriting them after a
    base that holds those keys (`class Company(RecordColumns, CompanyColumns, table=True)`).
    """

    custom: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    external_id: str | None = Field(default=None, max_length=200, index=True)
    """The record's id in the system it was imported from."""
    import_batch_id: int | None = Field(
        default=None, foreign_key="import_batches.id", ondelete="SET NULL", index=True
    )
    """The import that created it (imports it only updated leave it alone)."""


class Versioned:
    """A table whose `version` SQLAlchemy checks on every ORM update and delete: it writes
    `version + 1` where the row still has the version it was read at, and raises
    StaleDataError when the row changed since (the session turns that into a Conflict)."""

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        table: Any = cls.__table__  # type: ignore[attr-defined]
        return {"version_id_col": table.c.version}


class RecordColumns(Versioned, ImportedColumns):
    """An imported record's columns, and when it was created and last changed."""

    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    """Raised by one on every change, so an edit made from a stale read is refused."""


def searched_by(model: type[SQLModel], *fields: str) -> None:
    """Keep `model.search_key` (see `normalize.search_key`) from `fields` on every write the
    ORM makes; bulk writers leave it empty and `services.search.fill_search_keys` fills it."""
    from tinycrm.normalize import search_key

    def keep(_mapper: Any, _connection: Any, target: Any) -> None:
        target.search_key = search_key(*(getattr(target, name) for name in fields))

    event.listen(model, "before_insert", keep)
    event.listen(model, "before_update", keep)


SEARCH_DOC = "Its folded name and other fields the search looks in, kept by every write."
VERSION_DOC = "Raised by one on every change, so an edit made from a stale read is refused."


M = TypeVar("M", bound=SQLModel)


class Input(Model):
    """A model built from what a person typed (an XCreate or XUpdate): a value it refuses is
    one InvalidInput naming the field and the rule, never pydantic's report of several lines.
    """

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise invalid_input(exc) from None
        # Refused here, before a service looks the text up: PostgreSQL refuses a NUL even
        # in a query's parameter, which would otherwise answer before the flush's check.
        from tinycrm.normalize import check_text

        for key in self.model_fields_set:
            check_text(getattr(self, key), field=key)


def validated(model: type[M], data: Any, **options: Any) -> M:
    """`model.model_validate(data, **options)` for a row built from what was typed: what it
    refuses (a name whose folded comparison key outgrows the column) is one InvalidInput."""
    try:
        return model.model_validate(data, **options)
    except ValidationError as exc:
        raise invalid_input(exc) from None


def invalid_input(exc: ValidationError) -> InvalidInput:
    """The first thing pydantic refused, as one line: `title: too long (…; at most 300)`."""
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or "value"
    field = _SHOWN_AS.get(field, field)
    typed = error.get("input")
    if error["type"] == "string_too_long" and isinstance(typed, str):
        return too_long(field, typed, error["ctx"]["max_length"])
    reason = error["msg"][:1].lower() + error["msg"][1:]
    shown = typed if isinstance(typed, str | int | float) and len(str(typed)) <= 100 else None
    return InvalidInput(field, shown, reason)


def too_long(field: str, text: str, limit: int) -> InvalidInput:
    return InvalidInput(field, None, f"too long ({len(text):,} characters; at most {limit:,})")


_SHOWN_AS = {"name_key": "name", "full_name": "name"}
"""Columns derived from what was typed, reported under the field the user gave."""


@event.listens_for(Session, "before_flush")
def _check_lengths(session: Session, _context: Any, _instances: Any) -> None:
    """Text written through the ORM, by either face, holds at most its column's declared
    length (PostgreSQL would refuse a longer value with a driver error, SQLite keep it)."""
    for row in (*session.new, *session.dirty):
        check_lengths(row)


def check_lengths(row: Any) -> None:
    """Refuse the first value set on `row` (all of a new row's, only the changed ones of a
    loaded row) that is longer than its column allows."""
    state = inspect(row)
    for attr in state.mapper.column_attrs:
        limit = getattr(attr.columns[0].type, "length", None)
        value = state.dict.get(attr.key)
        if limit is None or not isinstance(value, str) or len(value) <= limit:
            continue
        if state.pending or state.attrs[attr.key].history.added:
            raise too_long(_SHOWN_AS.get(attr.key, attr.key), value, limit)
