"""Importing deals, with the stage history reports need.

A deal is the same as one already there when its external id matches, else when its title
and company match, so importing the same file twice creates nothing the second time. An
imported deal that sits at stage S is recorded as having passed through every earlier open
stage when it was created, and a closed one as moving from S to won or lost when it closed:
the funnel and conversion reports then work on imported history as on native history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from sqlmodel import Session, col, select

from tinycrm.dates import day_start, parse_date
from tinycrm.db.stage_visits import VISIT_COLUMNS, visits
from tinycrm.errors import CrmError
from tinycrm.models import (
    Activity,
    Company,
    Contact,
    Deal,
    DealStatus,
    StageChange,
    StageKind,
)
from tinycrm.models.activity import refresh_last_activity
from tinycrm.models.base import table_of
from tinycrm.money import check_currency, parse_money
from tinycrm.normalize import name_key, normalize_email
from tinycrm.services.campaigns import ImportCampaigns
from tinycrm.services.imports import (
    BulkWriter,
    ImportOptions,
    ImportResult,
    ImportRow,
    Rejected,
    RowError,
    deferred_indexes,
    lookup,
    lookup_rows,
)
from tinycrm.services.imports.people import (
    WRITTEN_COLUMNS,
    Companies,
    Pending,
    Progress,
    RecordImport,
    _import,
)
from tinycrm.services.imports.prep import Snapshot, Spill, StageRow

CHANGE_COLUMNS = (
    "deal_id",
    "from_stage_id",
    "to_stage_id",
    "changed_at",
    "changed_by_id",
    *VISIT_COLUMNS,
)
STATUS_WORDS = {
    "open": DealStatus.open,
    "won": DealStatus.won,
    "lost": DealStatus.lost,
    "closed won": DealStatus.won,
    "closed lost": DealStatus.lost,
    "true": DealStatus.won,
    "赢单": DealStatus.won,
    "成交": DealStatus.won,
    "输单": DealStatus.lost,
    "丢单": DealStatus.lost,
    "进行中": DealStatus.open,
}


class Pipeline:
    """The configured stages, and the user's `--stage-map` on top of their names."""

    def __init__(self, stages: Sequence[StageRow], stage_map: dict[str, str]) -> None:
        self.by_key = {s.name_key: s for s in stages}
        self.open = [s for s in stages if s.kind == StageKind.open]
        self.closing = {
            kind: next(s for s in stages if s.kind == kind)
            for kind in (StageKind.won, StageKind.lost)
        }
        self.mapped: dict[str, StageRow] = {}
        for source, target in stage_map.items():
            if name_key(target) not in self.by_key:
                raise CrmError(
                    f"unknown stage {target!r} (one of: {', '.join(s.name for s in stages)})",
                    field="stage map",
                )
            self.mapped[name_key(source)] = self.by_key[name_key(target)]

    def stage(self, text: str | None) -> StageRow | None:
        if not text:
            return None
        key = name_key(text)
        found = self.mapped.get(key) or self.by_key.get(key)
        if found is None:
            names = ", ".join(self.by_key)
            raise RowError("stage", f"unknown stage {text!r} (one of: {names})", use="stage map")
        return found

    def path_to(self, stage: StageRow) -> list[StageRow]:
        """The open stages up to and including `stage` (all of them for a closed one)."""
        if stage.kind != StageKind.open:
            return self.open
        return self.open[: self.open.index(stage) + 1]


class DealImport(RecordImport):
    model = Deal
    columns = WRITTEN_COLUMNS["deals"]
    keys = {"external_id": ("external_id", table_of(Deal).c.external_id)}
    also_looked_up = frozenset({"company_id"})

    def __init__(
        self, session: Session, options: ImportOptions, result: ImportResult, seen: Snapshot
    ) -> None:
        super().__init__(session, options, result, seen)
        self.people: dict[str, int | None] = {}
        self.contacts_created = 0

    def convert_against(self, seen: Snapshot) -> None:
        super().convert_against(seen)
        self.pipeline = Pipeline(seen.stages, self.options.stage_map)

    def begin(self) -> None:
        super().begin()
        session, options = self.session, self.options
        self.companies = Companies(session, self.batch_id, options)
        self.campaigns = ImportCampaigns(session, options.currency, options.now)
        self.changes = BulkWriter(session, StageChange, CHANGE_COLUMNS)

    def write(self, spill: Spill) -> None:
        with deferred_indexes(self.session, StageChange, keep=set()):
            super().write(spill)

    def also_created(self) -> dict[str, int]:
        return {
            "companies": self.companies.created,
            "contacts": self.contacts_created,
            **({"campaigns": self.campaigns.created} if self.campaigns.created else {}),
            **super().also_created(),
        }

    def prepare(self, values: list[dict[str, Any]]) -> None:
        self.companies.resolve([(v["_company"], None) for v in values])
        self.campaigns.resolve([v["_campaign"] for v in values])
        self._find_contacts([v["_contact"] for v in values])
        for v in values:
            v["company_id"] = self.companies.id_of(v.pop("_company"))
            v["campaign_id"] = self.campaigns.id_of(v.pop("_campaign"))
            contact = v.pop("_contact")
            v["contact_id"] = self.people[contact] if contact else None

    def key_values(self, values: dict[str, Any]) -> list[tuple[str, Any]]:
        title = ("title", (name_key(values["title"]), values["company_id"]))
        return [*super().key_values(values), title]

    def existing(self, values: list[dict[str, Any]]) -> dict[str, dict[Any, int]]:
        """External ids as usual; titles at the same company for deals without one. Titles
        have no index: the deals of the chunk's companies are read through theirs, and
        those whose title is one of the chunk's kept (a deal elsewhere cannot match)."""
        found = super().existing(values)
        titles = {v["title"] for v in values}
        deals = table_of(Deal).c
        companies = (v["company_id"] for v in values)
        at = lookup_rows(self.session, deals.company_id, companies, [deals.title, deals.id])
        rows = [(t, c, i) for c, many in at.items() for t, i in many if t in titles]
        if any(v["company_id"] is None for v in values):
            rows += self._titled_alone(sorted(titles))
        found["title"] = {}
        for title, company_id, deal_id in sorted(rows, key=lambda row: row[2]):
            found["title"].setdefault((name_key(title), company_id), int(deal_id))
        return found

    def _titled_alone(self, titles: list[str]) -> list[tuple[Any, ...]]:
        """The deals with one of these titles and no company."""
        deals, rows = table_of(Deal).c, []
        for start in range(0, len(titles), 500):
            query = select(deals.title, deals.company_id, deals.id).where(
                deals.company_id.is_(None), deals.title.in_(titles[start : start + 500])
            )
            rows += [tuple(row) for row in self.session.execute(query)]
        return rows

    def _find_contacts(self, refs: list[str | None]) -> None:
        """The contacts the rows name that earlier rows did not: by email (created when
        missing), else by full name; one lookup of each kind per chunk."""
        new = [ref for ref in dict.fromkeys(refs) if ref and ref not in self.people]
        emails = {ref: normalize_email(ref, field="contact") for ref in new if "@" in ref}
        names = {ref: name_key(ref) for ref in new if "@" not in ref}
        contacts = table_of(Contact).c
        by_email = lookup(self.session, contacts.email, emails.values())
        by_name = lookup(self.session, contacts.name_key, names.values())
        for ref in new:
            if ref in names:
                self.people[ref] = by_name.get(names[ref])
            elif (email := emails[ref]) and email in by_email:
                self.people[ref] = by_email[email]
            else:
                made = self.people[ref] = self._new_contact(ref, email)
                if email:
                    by_email[email] = made

    def _new_contact(self, ref: str, email: str | None) -> int:
        contact = Contact(
            full_name=email or ref,
            name_key=name_key(email or ref),
            email=email,
            import_batch_id=self.batch_id,
            created_at=self.options.now,
            updated_at=self.options.now,
        )
        self.session.add(contact)
        self.session.flush()
        assert contact.id is not None
        self.contacts_created += 1
        return contact.id

    def written(self, pending: Pending) -> None:
        self.changes.insert([c for v in pending.inserts for c in self._history(v)])

    def _history(self, deal: dict[str, Any]) -> list[dict[str, Any]]:
        """Every open stage up to the one reached, at creation; then won or lost at closing."""
        final: StageRow = deal.pop("_stage")
        reached: StageRow = deal.pop("_reached")
        rows, before = [], None
        for step in self.pipeline.path_to(reached):
            rows.append(self._change(deal, before, step.id, deal["created_at"]))
            before = step.id
        if final.kind != StageKind.open:
            rows.append(self._change(deal, before, final.id, deal["closed_at"]))
        in_order = sorted(rows, key=itemgetter("changed_at"))  # as read back: by time, then id
        chain = [(r["to_stage_id"], r["changed_at"]) for r in in_order]
        for row, visit in zip(in_order, visits(chain), strict=True):
            row.update(visit._asdict())
        return rows

    def _change(
        self, deal: dict[str, Any], before: int | None, after: int | None, at: datetime
    ) -> dict[str, Any]:
        return {
            "deal_id": deal["id"],
            "from_stage_id": before,
            "to_stage_id": after,
            "changed_at": at,
            "changed_by_id": deal["owner_id"],
        }

    def convert(self, f: dict[str, str], custom: dict[str, str]) -> dict[str, Any]:
        title = " ".join(f.get("title", "").split())
        if not title:
            raise RowError("title", "a deal needs a title")
        final, reached, status = self._stages(f)
        expected = self._day(f.get("expected_close"))
        created, closed = self._lifetime(f, status, expected)
        currency = check_currency(f["currency"]) if f.get("currency") else self.options.currency
        amount = (
            parse_money(
                f["amount"],
                currency=currency,
                yen=self.options.yen,
                fixed_by="the currency column" if f.get("currency") else "",
            )
            if f.get("amount")
            else None
        )
        values = self.stamp(
            {
                "title": title,
                "amount_minor": amount.minor if amount else 0,
                "currency": amount.currency if amount else currency,
                "expected_close": expected,
                "stage_id": final.id,
                "status": status.value,
                "owner_id": self.owners.resolve(f.get("owner")),
                "lost_reason": f.get("lost_reason") if status is DealStatus.lost else None,
                "custom": custom,
                "external_id": f.get("external_id"),
                "closed_at": closed,
                "_company": f.get("company"),
                "_contact": f.get("contact"),
                "_campaign": f.get("campaign"),
                "_stage": final,
                "_reached": reached,
            }
        )
        values["created_at"] = created
        return values

    def _lifetime(
        self, f: dict[str, str], status: DealStatus, close_day: date | None
    ) -> tuple[datetime, datetime | None]:
        """(created, closed). A closed deal with no close time of its own closed on its close
        date (HubSpot's, Salesforce's and Pipedrive's close date of a won or lost deal is the
        day it closed), at the start of that day in the user's zone; with neither, at the
        import. A deal with no creation time was created no later than it closed."""
        now, given = self.options.now, self.moment(f.get("created_at"), "created_at")
        if status is DealStatus.open:
            return given or now, None
        closed = self.moment(f.get("closed_at"), "closed_at")
        if closed is None and close_day is not None:
            closed = day_start(close_day, self.options.tz)
        closed = closed or given or now
        created = given or min(now, closed)
        return created, max(closed, created)

    def _stages(self, f: dict[str, str]) -> tuple[StageRow, StageRow, DealStatus]:
        """(the stage to store, the last open stage it reached, its status).

        Pipedrive and HubSpot export a lost deal with the stage it was lost at, so that stage
        is where it left the pipeline; a closed deal with no open stage given won from the
        last open stage, or was lost at the first."""
        given = self.pipeline.stage(f.get("stage"))
        status = _status(f.get("status"))
        if status is None:
            kind = StageKind(given.kind) if given else StageKind.open
            status = DealStatus(kind.value)
        if status is DealStatus.open:
            stage = given or self.pipeline.open[0]
            if stage.kind != StageKind.open:
                raise RowError("status", f"status open but stage {stage.name!r} is closed")
            return stage, stage, status
        if given is not None and given.kind == StageKind.open:
            reached = given
        else:
            reached = self.pipeline.open[-1 if status is DealStatus.won else 0]
        return self.pipeline.closing[StageKind(status.value)], reached, status

    def _day(self, text: str | None) -> date | None:
        if not text:
            return None
        today = self.options.now.astimezone(self.options.tz).date()
        return parse_date(text, today=today, field="expected_close")


def _status(text: str | None) -> DealStatus | None:
    if not text:
        return None
    found = STATUS_WORDS.get(" ".join(text.strip().lower().split()))
    if found is None:
        raise RowError("status", f"unknown status {text!r} (open, won or lost)")
    return found


def import_deals(
    session: Session,
    *,
    rows: Iterable[ImportRow],
    source: str,
    options: ImportOptions,
    progress: Progress | None = None,
) -> tuple[ImportResult, list[Rejected]]:
    """Import deal rows with their implied stage history."""
    return _import(
        DealImport, session, rows=rows, source=source, options=options, progress=progress
    )


KIND_WORDS = {
    "call": "call",
    "phone": "call",
    "phone call": "call",
    "电话": "call",
    "email": "email",
    "e-mail": "email",
    "mail": "email",
    "邮件": "email",
    "meeting": "meeting",
    "event": "meeting",
    "lunch": "meeting",
    "会议": "meeting",
    "拜访": "meeting",
    "note": "note",
    "备注": "note",
    "task": "task",
    "deadline": "task",
    "to-do": "task",
    "todo": "task",
    "任务": "task",
}


class ActivityImport(RecordImport):
    """Activities: the same as one already there by external id, else by kind, subject,
    contact and time, so a log re-imported twice adds nothing."""

    model = Activity
    columns = WRITTEN_COLUMNS["activities"]
    keys = {"external_id": ("external_id", table_of(Activity).c.external_id)}

    def write(self, spill: Spill) -> None:
        """Bulk inserts pass the ORM by: bring each touched deal's last activity up to date."""
        self.touched: set[int] = set()
        super().write(spill)
        touched = sorted(self.touched)
        for start in range(0, len(touched), 10_000):
            self.session.execute(refresh_last_activity(touched[start : start + 10_000]))

    def prepare(self, values: list[dict[str, Any]]) -> None:
        people = self._contacts([v["_contact"] for v in values])
        names = {name_key(c["_company"]) for c in values if c["_company"]}
        by_name = lookup(self.session, table_of(Company).c.name_key, names)
        refs = {v["_deal"] for v in values if v["_deal"]}
        deal_ids = lookup(self.session, table_of(Deal).c.title, refs)  # Pipedrive: Deal - Title
        deal_ids.update(lookup(self.session, table_of(Deal).c.external_id, refs))
        for v in values:
            contact = v.pop("_contact")
            v["contact_id"] = people.get(contact) if contact else None
            v["company_id"] = by_name.get(name_key(v["_company"])) if v["_company"] else None
            v["deal_id"] = _deal_id(v.pop("_deal"), deal_ids)
            v.pop("_company")
            if v["deal_id"] is not None:
                self.touched.add(v["deal_id"])

    def _contacts(self, refs: list[str | None]) -> dict[str, int]:
        """The contacts the rows name, by email, else by full name (as `crm export` names
        them); one lookup of each kind per chunk."""
        emails = {r: normalize_email(r, field="contact") for r in refs if r and "@" in r}
        names = {r: name_key(r) for r in refs if r and "@" not in r}
        contacts = table_of(Contact).c
        by_email = lookup(self.session, contacts.email, emails.values())
        by_name = lookup(self.session, contacts.name_key, names.values())
        found = {r: by_email.get(e) for r, e in emails.items()}
        found.update((r, by_name.get(k)) for r, k in names.items())
        return {r: i for r, i in found.items() if i is not None}

    def _update(
        self, values: dict[str, Any], match: int | None, twin: dict[str, Any] | None
    ) -> None:
        """As for any record, but what a new activity is given when the row says nothing
        (its kind, its subject, a done time) leaves the one already there as it is."""
        for key in values.pop("_defaulted"):
            values[key] = None
        super()._update(values, match, twin)

    def key_values(self, values: dict[str, Any]) -> list[tuple[str, Any]]:
        at = values["done_at"] or values["due_at"]
        same = ("same", (values["kind"], values["subject"], values["contact_id"], at))
        return [*super().key_values(values), same]

    def existing(self, values: list[dict[str, Any]]) -> dict[str, dict[Any, int]]:
        found = super().existing(values)
        subjects = sorted({v["subject"] for v in values})
        found["same"] = {}
        query = select(
            Activity.kind,
            Activity.subject,
            Activity.contact_id,
            Activity.done_at,
            Activity.due_at,
            Activity.id,
        ).where(col(Activity.subject).in_(subjects))  # type: ignore[call-overload]
        for kind, subject, contact_id, done_at, due_at, activity_id in self.session.exec(query):
            key = (kind, subject, contact_id, done_at or due_at)
            found["same"].setdefault(key, int(activity_id or 0))
        return found

    def convert(self, f: dict[str, str], custom: dict[str, str]) -> dict[str, Any]:
        kind = KIND_WORDS.get(" ".join(f.get("kind", "note").lower().split()))
        if kind is None:
            raise RowError("kind", f"unknown kind {f['kind']!r} (call, email, meeting, note, task)")
        subject = " ".join((f.get("subject") or f.get("body", "").split("\n")[0]).split())[:500]
        done = self.moment(f.get("done_at"), "done_at")
        due = self.moment(f.get("due_at"), "due_at", due=True)
        if done is None and due is None:
            done = self.options.now  # a log without a time happened at the import
        values = self.stamp(
            {
                "kind": kind,
                "subject": subject or kind.capitalize(),
                "body": f.get("body"),
                "due_at": due,
                "done_at": done,
                "alert_at": due if done is None else None,
                "owner_id": self.owners.resolve(f.get("owner")),
                "custom": custom,
                "external_id": f.get("external_id"),
                "_contact": f.get("contact"),
                "_company": f.get("company"),
                "_deal": f.get("deal"),
            },
            f.get("created_at"),
        )
        values.pop("updated_at")
        values["_defaulted"] = [
            key
            for key, given in (
                ("kind", f.get("kind")),
                ("subject", f.get("subject")),
                ("done_at", f.get("done_at") or f.get("due_at")),
            )
            if not given
        ]
        return values


def _deal_id(ref: str | None, by_external: dict[Any, int]) -> int | None:
    """A deal by the id it had where it came from, else by its id here."""
    if not ref:
        return None
    if ref in by_external:
        return by_external[ref]
    return int(ref) if ref.isdigit() else None


def import_activities(
    session: Session,
    *,
    rows: Iterable[ImportRow],
    source: str,
    options: ImportOptions,
    progress: Progress | None = None,
) -> tuple[ImportResult, list[Rejected]]:
    """Import an activity log: calls, emails, meetings, notes and tasks."""
    return _import(
        ActivityImport, session, rows=rows, source=source, options=options, progress=progress
    )
