"""Importing contacts and companies.

A contact is the same person as one already there by the rules of `match` (two
different emails are two different people; a shared phone alone is a possible duplicate,
imported and listed); a company when its normalised name or its web domain matches. Rows
later in the file see the ones before them, so duplicates inside a file count too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from tinycrm.dates import parse_datetime
from tinycrm.errors import CrmError
from tinycrm.models import (
    Activity,
    Company,
    Contact,
    ContactDate,
    ContactStatus,
    ContactTag,
    Deal,
)
from tinycrm.models.base import table_of
from tinycrm.normalize import clean, join_name, name_key, normalize_email, normalize_phone
from tinycrm.services import access
from tinycrm.services.campaigns import ImportCampaigns
from tinycrm.services.contacts import date_rows
from tinycrm.services.filters import normalize_tags
from tinycrm.services.imports import (
    KEPT_ON_UPDATE,
    BulkWriter,
    IdAllocator,
    ImportOptions,
    ImportResult,
    ImportRow,
    OnDuplicate,
    Owners,
    Rejected,
    RowError,
    chunks,
    deferred_indexes,
    finish,
    lookup,
    start_batch,
    write_settings,
    written_columns,
)
from tinycrm.services.imports.match import People, phone_keys
from tinycrm.services.imports.prep import Prepared, Snapshot, Spill, paused_gc, read_snapshot

Progress = Callable[[int], None]

WRITTEN_COLUMNS = {
    "contacts": written_columns(Contact, leaving={"drop_reason"}),
    "companies": written_columns(Company),
    "deals": written_columns(
        Deal, leaving={"last_activity_at", "alerted_close", "alerted_overdue", "alerted_quiet"}
    ),
    "activities": written_columns(
        Activity,
        leaving={"remind_minutes", "rrule", "snoozed_until", "series_id", "reminded_at"},
    ),
}
"""The columns an import writes in a record it creates, by table (`crm export`'s columns are
another thing: what a file holds, with references by name)."""
UPDATED_COLUMNS = {
    table: tuple(c for c in WRITTEN_COLUMNS[table] if c not in KEPT_ON_UPDATE | kept)
    for table, kept in (
        ("contacts", set()),
        ("deals", {"stage_id", "status", "closed_at"}),
        ("companies", {"name", "name_key"}),
        ("activities", {"alert_at"}),
    )
}
"""The columns an import with `on_duplicate=update` fills in, when the row has them, in a
record already there. Besides `KEPT_ON_UPDATE` it keeps a deal's stage and outcome (their
history is recorded as they change), the name a company was matched by, and an activity's
alert time (the ORM works it out again from the due time and the reminder state other
commands keep, which an import never writes)."""

STATUS_WORDS = {
    ContactStatus.lead: (
        "lead",
        "new",
        "subscriber",
        "mql",
        "marketing qualified lead",
        "线索",
        "潜在客户",
    ),
    ContactStatus.prospect: (
        "prospect",
        "opportunity",
        "sql",
        "sales qualified lead",
        "qualified",
        "open",
        "in progress",
        "意向客户",
        "商机",
    ),
    ContactStatus.customer: ("customer", "client", "won", "evangelist", "客户", "成交客户"),
    ContactStatus.inactive: (
        "inactive",
        "other",
        "unqualified",
        "lost",
        "churned",
        "closed",
        "流失",
        "无效",
    ),
}
_STATUS = {
    key: status
    for status, words in STATUS_WORDS.items()
    for word in words
    for key in (word, word.replace(" ", ""))
}
"""Each word also without its spaces: HubSpot exports its internal `marketingqualifiedlead`."""


def parse_status(text: str | None) -> ContactStatus:
    if not text or not text.strip():
        return ContactStatus.prospect
    found = _STATUS.get(" ".join(text.strip().lower().replace("_", " ").split()))
    if found is None:
        raise RowError(
            "status", f"unknown status {text.strip()!r} (lead, prospect, customer or inactive)"
        )
    return found


def split_tags(text: str | None) -> list[str]:
    """`VIP; newsletter`, `a, b` or Google's `a ::: b` as stored tags."""
    return normalize_tags((text or "").replace(";", ",").replace(" ::: ", ",").split(","))


def _rejection(row: ImportRow, column: str | None, reason: str, use: str | None = None) -> Rejected:
    return Rejected(row.line, column, reason, row.raw or row.fields, use)


@dataclass
class Pending:
    """Rows of one chunk waiting to be written, and the keys they claim."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    keys: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


class Companies:
    """Companies by name key or domain, created on first mention (bulk, with the import's
    batch id) when a contact names one that does not exist."""

    def __init__(self, session: Session, batch_id: int, options: ImportOptions) -> None:
        self.session, self.batch_id, self.options = session, batch_id, options
        self.known: dict[str, int] = {}
        self.keys: dict[str, str] = {}
        """Name as written -> its key, for the names of the chunk at hand."""
        self.ids: IdAllocator | None = None
        self.writer: BulkWriter | None = None
        self.created = 0

    def resolve(self, rows: list[tuple[str | None, str | None]]) -> None:
        """Look up (and create) the companies a chunk names, before its contacts are written."""
        keys = {name: name_key(name) for name in {name for name, _ in rows if name}}
        self.keys = keys
        wanted = set(keys.values()) - self.known.keys()
        self.known.update(lookup(self.session, table_of(Company).c.name_key, wanted))
        new = []
        for name, domain in rows:
            if name and keys[name] not in self.known:
                new.append(self._new(name, keys[name], domain))
        if new:
            self.writer = self.writer or BulkWriter(
                self.session, Company, WRITTEN_COLUMNS["companies"]
            )
            self.writer.insert(new)

    def _new(self, name: str, key: str, domain: str | None) -> dict[str, Any]:
        self.ids = self.ids or IdAllocator(self.session, Company)
        company_id = self.ids.take()
        self.known[key] = company_id
        self.created += 1
        now = self.options.now
        return {
            "id": company_id,
            "name": " ".join(name.split()),
            "name_key": key,
            "domain": clean(domain),
            "custom": {},
            "import_batch_id": self.batch_id,
            "created_at": now,
            "updated_at": now,
        }

    def id_of(self, name: str | None) -> int | None:
        return self.known.get(self.keys[name]) if name else None


class RecordImport:
    """The flow every noun shares: convert each row (before the write lock, `read`), then,
    in the write transaction (`write`), find its twin among existing records and earlier
    rows, and insert, update, skip or reject it. Subclasses say how to convert a row and
    which keys make two records the same."""

    model: type[Contact] | type[Company] | type[Deal] | type[Activity]
    columns: tuple[str, ...]
    """The columns it writes in a record it creates."""
    keys: dict[str, tuple[str, Any]]
    """duplicate key name -> (the converted value it is read from, the column it is in)"""
    also_looked_up: frozenset[str] = frozenset()
    """Other columns rows are looked up by: their indexes stay during the import."""

    def __init__(
        self, session: Session, options: ImportOptions, result: ImportResult, seen: Snapshot
    ) -> None:
        """What converting needs: nothing here touches the session."""
        self.session, self.options, self.result = session, options, result
        self.batch_id = 0
        self.rejects: list[Rejected] = []
        self.custom_keys: set[str] = set()
        self.seen = seen
        self.convert_against(seen)

    def convert_against(self, seen: Snapshot) -> None:
        """Resolve what rows name (owners, stages) against these users and stages."""
        self.owners = Owners(seen.users, create=self.options.create_owners, now=self.options.now)

    def begin(self) -> None:
        """What the write needs, once the write transaction has begun."""
        self.ids = IdAllocator(self.session, self.model)
        self.writer = BulkWriter(self.session, self.model, self.columns)

    def read(self, rows: Iterable[ImportRow], spill: Spill, progress: Progress | None) -> None:
        """Phase 1, with no lock held: convert every row, keeping the results in `spill`."""
        for chunk in chunks(rows):
            spill.put([(row, self._values(row)) for row in chunk])
            if progress:
                progress(len(chunk))

    def write(self, spill: Spill) -> None:
        """Phase 2, in the write transaction: the users and stages the rows were converted
        against are read again (another writer may have changed them meanwhile: then every
        row is converted again, here), then the rows are placed chunk by chunk."""
        assert self.result.batch_id is not None
        self.batch_id = self.result.batch_id
        again = self._changed_since_read()
        self.begin()
        looked_up = {column.name for _, column in self.keys.values()} | self.also_looked_up
        with (
            write_settings(self.session),
            deferred_indexes(self.session, self.model, keep=looked_up),
        ):
            for prepared in spill:
                if again:
                    prepared = [(row, self._values(row)) for row, _ in prepared]
                self._chunk(prepared)

    def _changed_since_read(self) -> bool:
        now = read_snapshot(self.session)
        if now == self.seen:
            return False
        self.seen, self.custom_keys, self.result.phones_as_typed = now, set(), 0
        self.convert_against(now)
        return True

    def _chunk(self, prepared: Prepared) -> None:
        valid = []
        for row, values in prepared:
            if isinstance(values, Rejected):
                self._rejected(values)
            else:
                valid.append((row, values))
        self.owners.settle(self.session, (values for _, values in valid))
        self.prepare([values for _, values in valid])
        existing = self.existing([values for _, values in valid])
        pending = Pending()
        for row, values in valid:
            self._place(row, values, existing, pending)
        self.writer.insert(pending.inserts)
        self.written(pending)

    def existing(self, values: list[dict[str, Any]]) -> dict[str, dict[Any, int]]:
        """For each duplicate key, the records already there: {kind: {key: id}}."""
        return {
            kind: lookup(self.session, column, (v[value] for v in values))
            for kind, (value, column) in self.keys.items()
        }

    def key_values(self, values: dict[str, Any]) -> list[tuple[str, Any]]:
        """The row's duplicate keys, strongest first."""
        return [(kind, values[value]) for kind, (value, _) in self.keys.items() if values[value]]

    def also_created(self) -> dict[str, int]:
        """Records made along the way, by kind."""
        return {"users": self.owners.created}

    def prepare(self, values: list[dict[str, Any]]) -> None:
        """Work a whole chunk needs before its rows are placed (e.g. companies they name)."""

    def written(self, pending: Pending) -> None:
        """Work after a chunk's records exist (e.g. their tags)."""

    def convert(self, fields: dict[str, str], custom: dict[str, str]) -> dict[str, Any]:
        raise NotImplementedError

    def _values(self, row: ImportRow) -> dict[str, Any] | Rejected:
        try:
            if row.problem:
                raise RowError(None, row.problem)
            fields = {k: text for k, v in row.fields.items() if v and (text := v.strip())}
            custom = {k: v for k, v in row.custom.items() if v not in (None, "")}
            values = self.convert(fields, custom)
            self.custom_keys.update(values["custom"])
            return values
        except RowError as exc:
            return _rejection(row, exc.column, exc.message, exc.use)
        except CrmError as exc:
            return _rejection(row, exc.field, exc.message, exc.use)

    def _reject(self, row: ImportRow, column: str | None, reason: str) -> None:
        self._rejected(_rejection(row, column, reason))

    def _rejected(self, rejected: Rejected) -> None:
        self.result.rejected += 1
        self.rejects.append(rejected)

    def stamp(self, values: dict[str, Any], created: str | None = None) -> dict[str, Any]:
        """The creation time the file gives (else the import's); the batch is set on insert."""
        now = self.options.now
        values.update(updated_at=now, created_at=self.moment(created, "created_at") or now)
        return values

    def moment(self, text: str | None, column: str, *, due: bool = False) -> datetime | None:
        """A time from the file, in the user's zone when it has no offset of its own; a date
        alone is the start of that day there (of the working day, for a due time)."""
        if not text:
            return None
        opts = self.options
        starts = opts.workday_start if due else time(0)
        return parse_datetime(text, now=opts.now, tz=opts.tz, field=column, day_starts=starts)

    def _place(
        self,
        row: ImportRow,
        values: dict[str, Any],
        existing: dict[str, dict[Any, int]],
        pending: Pending,
    ) -> None:
        keys = self.key_values(values)
        match = next((existing[k][v] for k, v in keys if v in existing[k]), None)
        twin = next((pending.keys[key] for key in keys if key in pending.keys), None)
        if match is None and twin is None:
            self._insert(values, keys, pending)
        elif self.options.on_duplicate is OnDuplicate.error:
            what = f"{self.model.__tablename__[:-1]} #{match}" if match else "an earlier row"
            self._reject(row, keys[0][0], f"duplicate of {what}")
        elif self.options.on_duplicate is OnDuplicate.update:
            self._update(values, match, twin)
        else:
            self.result.skipped += 1

    def _insert(
        self, values: dict[str, Any], keys: list[tuple[str, Any]], pending: Pending
    ) -> None:
        values["id"] = self.ids.take()
        values["import_batch_id"] = self.batch_id
        pending.inserts.append(values)
        for key in keys:
            pending.keys.setdefault(key, values)
        self.result.created += 1

    def _update(
        self, values: dict[str, Any], match: int | None, twin: dict[str, Any] | None
    ) -> None:
        """Fill in what the row has; never blank what is there."""
        updated = UPDATED_COLUMNS[self.model.__tablename__]
        changes = {k: values[k] for k in updated if values.get(k) not in (None, "")}
        if twin is not None:
            twin.update(changes)
            twin["custom"] = {**twin["custom"], **values["custom"]}
        else:
            record: Any = self.session.get(self.model, match)
            assert record is not None
            record.sqlmodel_update(changes)
            record.custom = {**record.custom, **values["custom"]}
            if "updated_at" in self.columns:
                record.updated_at = self.options.now
            self.session.add(record)
        self.result.updated += 1


class ContactImport(RecordImport):
    model = Contact
    columns = WRITTEN_COLUMNS["contacts"]
    keys = {
        "email": ("email", table_of(Contact).c.email),
        "external_id": ("external_id", table_of(Contact).c.external_id),
    }
    also_looked_up = frozenset({"phone_norm", "company_id"})

    def begin(self) -> None:
        super().begin()
        session, options = self.session, self.options
        self.people = People(session, self.result)
        self.companies = Companies(session, self.batch_id, options)
        self.campaigns = ImportCampaigns(session, options.currency, options.now)
        self.tags = BulkWriter(session, ContactTag, ("contact_id", "tag"))
        self.dates = BulkWriter(
            session, ContactDate, ("contact_id", "kind", "month", "day", "year")
        )

    def also_created(self) -> dict[str, int]:
        return {
            "companies": self.companies.created,
            **({"campaigns": self.campaigns.created} if self.campaigns.created else {}),
            **super().also_created(),
        }

    def prepare(self, values: list[dict[str, Any]]) -> None:
        self.companies.resolve([(v["_company"], v.pop("_domain")) for v in values])
        self.campaigns.resolve([v["_campaign"] for v in values])
        for v in values:
            v["campaign_id"] = self.campaigns.id_of(v.pop("_campaign"))
            v["company_id"] = self.companies.id_of(v.pop("_company"))

    def existing(self, values: list[dict[str, Any]]) -> dict[str, dict[Any, int]]:
        self.people.chunk(values)
        return {}

    def _place(
        self,
        row: ImportRow,
        values: dict[str, Any],
        existing: dict[str, dict[Any, int]],
        pending: Pending,
    ) -> None:
        values["_line"] = row.line
        match = self.people.same_person(values)
        if match is None:
            self._insert(values, [], pending)
            self.people.claim(values)
        elif self.options.on_duplicate is OnDuplicate.error:
            what = f"contact #{match.id}" if match.id else "an earlier row"
            self._reject(row, match.kind, f"duplicate of {what}")
        elif self.options.on_duplicate is OnDuplicate.update:
            self._update(values, match.id, match.twin)
            self.people.absorbed(values, match)
        else:
            self.result.skipped += 1

    def _phone(self, text: str | None) -> str | None:
        """The normalised phone; one that cannot be read is kept as written, without a
        normalised form, rather than losing the person (exports are full of `BusinessPhone`)."""
        try:
            return normalize_phone(text, region=self.options.region)
        except CrmError:
            return None

    def _update(
        self, values: dict[str, Any], match: int | None, twin: dict[str, Any] | None
    ) -> None:
        """As for any record, but a row without a name keeps the person's name, and its tags
        are added to theirs."""
        if not values["_named"]:
            values["full_name"] = values["name_key"] = None
        tags = values["_tags"]
        super()._update(values, match, twin)
        if twin is not None:
            twin["_tags"] = sorted({*twin["_tags"], *tags})
        elif tags:
            query = select(ContactTag.tag).where(ContactTag.contact_id == match)
            have = set(self.session.exec(query))
            self.tags.insert([{"contact_id": match, "tag": t} for t in tags if t not in have])
        if twin is None and match is not None and (days := date_rows(match, values["custom"])):
            kinds = [d["kind"] for d in days]
            self.session.exec(
                delete(ContactDate).where(
                    col(ContactDate.contact_id) == match, col(ContactDate.kind).in_(kinds)
                )
            )
            self.dates.insert(days)

    def written(self, pending: Pending) -> None:
        self.people.finish_chunk()
        self.tags.insert(
            [{"contact_id": v["id"], "tag": t} for v in pending.inserts for t in v.pop("_tags")]
        )
        self.dates.insert(
            [d for v in pending.inserts if v["custom"] for d in date_rows(v["id"], v["custom"])]
        )

    def convert(self, f: dict[str, str], custom: dict[str, str]) -> dict[str, Any]:
        first, last = f.get("first_name"), f.get("last_name")
        full = " ".join((f.get("name") or join_name(first, last)).split())
        email = normalize_email(f.get("email"))
        phone_norm = self._phone(f.get("phone"))
        if not (full or email or f.get("phone")):
            raise RowError("name", "no name, email or phone")
        if f.get("phone") and not phone_norm:
            self.result.phones_as_typed += 1
        if f.get("birthday"):
            custom["birthday"] = f["birthday"]
        label = full or email or phone_norm or f.get("phone") or ""
        return self.stamp(
            {
                "first_name": first,
                "last_name": last,
                "full_name": label,
                "name_key": name_key(label),
                "email": email,
                "phone": f.get("phone"),
                "phone_norm": phone_norm,
                "title": f.get("title"),
                "status": parse_status(f.get("status")).value,
                "source": f.get("source"),
                "notes": f.get("notes"),
                "owner_id": self.owners.resolve(f.get("owner")),
                "_campaign": f.get("campaign"),
                "custom": custom,
                "external_id": f.get("external_id"),
                "_company": f.get("company"),
                "_domain": f.get("company_domain"),
                "_tags": split_tags(f.get("tags")),
                "_phones": phone_keys(f.get("phone"), phone_norm),
                "_named": bool(full),
            },
            f.get("created_at"),
        )


class CompanyImport(RecordImport):
    model = Company
    columns = WRITTEN_COLUMNS["companies"]
    keys = {
        "name": ("name_key", table_of(Company).c.name_key),
        "domain": ("domain", table_of(Company).c.domain),
        "external_id": ("external_id", table_of(Company).c.external_id),
    }

    def convert(self, f: dict[str, str], custom: dict[str, str]) -> dict[str, Any]:
        name = " ".join(f.get("name", "").split())
        if not name:
            raise RowError("name", "a company needs a name")
        return self.stamp(
            {
                "name": name,
                "name_key": name_key(name),
                "domain": domain_of(f.get("domain")),
                "industry": f.get("industry"),
                "city": f.get("city"),
                "country": f.get("country"),
                "phone": f.get("phone"),
                "website": f.get("website"),
                "notes": f.get("notes"),
                "owner_id": self.owners.resolve(f.get("owner")),
                "custom": custom,
                "external_id": f.get("external_id"),
            },
            f.get("created_at"),
        )


def domain_of(text: str | None) -> str | None:
    """`https://www.Acme.com/about` -> `acme.com`; junk is a row error."""
    if not text:
        return None
    from tinycrm.services.companies import web_domain

    try:
        return web_domain(text)
    except CrmError as exc:
        raise RowError("domain", exc.message) from None


def _import(
    job_type: type[RecordImport],
    session: Session,
    *,
    rows: Iterable[ImportRow],
    source: str,
    options: ImportOptions,
    progress: Progress | None,
) -> tuple[ImportResult, list[Rejected]]:
    """Convert every row first, with no lock held; then write them in the session's
    transaction, which begins (and, on SQLite, takes the write lock) only then."""
    noun = job_type.model.__tablename__
    access.require(session, noun, "import")
    result = ImportResult(noun=noun, source=source)
    with Spill() as spill, paused_gc():
        job = job_type(session, options, result, read_snapshot(session))
        job.read(rows, spill, progress)
        result.batch_id = start_batch(session, noun=noun, source=source, options=options)
        job.write(spill)
    result.also_created = job.also_created()
    result.custom_fields = sorted(job.custom_keys)
    session.flush()
    return finish(session, result, options), job.rejects


def import_contacts(
    session: Session,
    *,
    rows: Iterable[ImportRow],
    source: str,
    options: ImportOptions,
    progress: Progress | None = None,
) -> tuple[ImportResult, list[Rejected]]:
    """Import contact rows; nothing is kept when a row is rejected unless `skip_errors`."""
    return _import(
        ContactImport, session, rows=rows, source=source, options=options, progress=progress
    )


def import_companies(
    session: Session,
    *,
    rows: Iterable[ImportRow],
    source: str,
    options: ImportOptions,
    progress: Progress | None = None,
) -> tuple[ImportResult, list[Rejected]]:
    """Import company rows; the same by normalised name, web domain or external id."""
    return _import(
        CompanyImport, session, rows=rows, source=source, options=options, progress=progress
    )
