"""The SQL store of batch runs: runs, their items, each item's result (or failure) and artifacts.

One schema for SQLite (a file inside the run folder, the default) and PostgreSQL (shared, for the
service and for many machines writing one run). Every write is its own short transaction,
committed as each item finishes, so a `kill -9` loses at most the item in flight. Exactly-once
is enforced by the database, not by the caller: `results.item_id` is unique and results are
inserted with ON CONFLICT DO NOTHING, so a second write for the same item (a retried Ray task, two
processes resuming the same run) changes nothing.

Tables: runs (name unique) → items (item_key unique per run) → results / failures (one per
item) and artifacts (one per item and name, e.g. overlay.png).
"""

from __future__ import annotations

import math
import os
import socket
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from verbalize.core.errors import UserError

RunKind = Literal["image", "text"]
ItemStatus = Literal["pending", "done", "failed"]

_JSON = JSON().with_variant(postgresql.JSONB(), "postgresql")
_PAGE = 200  # rows per read transaction in items(): long reads never hold a snapshot for a whole run

metadata = MetaData()

runs_table = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("status", String(32), nullable=False),
    Column("config", _JSON, nullable=False),
    Column("provenance", _JSON, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("updated", DateTime(timezone=True), nullable=False),
)

items_table = Table(
    "items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("item_key", String(1024), nullable=False),
    Column("input", _JSON, nullable=False),
    Column("label", String(1024), nullable=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("updated", DateTime(timezone=True), nullable=False),
    UniqueConstraint("run_id", "item_key", name="uq_items_run_key"),
    Index("ix_items_run_status", "run_id", "status"),
)

results_table = Table(
    "results", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("result", _JSON, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)

artifacts_table = Table(
    "artifacts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("data", LargeBinary, nullable=False),
    UniqueConstraint("item_id", "name", name="uq_artifacts_item_name"),
)

failures_table = Table(
    "failures", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("reason", Text, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)


leases_table = Table(
    "leases", metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("owner", String(255), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False),
)
"""Which runner is working through a run: one at a time, so two `batch` commands on the same run
do not both compute every item. A lease lapses when its runner stops renewing it (killed), or at
once when that runner was a process on this machine that no longer exists."""

LEASE_S = 600.0


def lease_owner() -> str:
    """This process, as a lease names it: host and pid (so a dead owner on this host is recognised)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _owner_is_dead(owner: str) -> bool:
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class LeaseHeld(UserError):
    """Another runner is working through this run."""


class ItemSpec(BaseModel):
    """One input of a run as the batch runner discovered it."""

    item_key: str = Field(description="unique within the run: a relative path, a manifest id or 'row:N'")
    input: dict[str, Any] = Field(description="{'path': ...} for images, {'text': ...} for texts")
    label: str | None = None


class RunRecord(BaseModel):
    id: int
    name: str
    kind: RunKind
    status: str = Field(description="created, queued, running, done, interrupted or failed")
    config: dict[str, Any]
    provenance: dict[str, Any]
    created: datetime
    updated: datetime


class ItemRecord(BaseModel):
    id: int
    run_id: int
    item_key: str
    input: dict[str, Any]
    label: str | None
    status: ItemStatus
    attempts: int
    result: dict[str, Any] | None = None
    failure: str | None = Field(default=None, description="why the item failed (one line, no traceback)")
    artifacts: dict[str, bytes] = Field(default_factory=dict, exclude=True,
                                        description="name → bytes, filled by items(with_artifacts=True); kept out of JSON")


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; they were written in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _json_safe(value: Any) -> Any:
    """NaN and infinities become null: JSON has no spelling for them and PostgreSQL's JSONB refuses them."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def safe_url(url: str) -> str:
    """The URL with any password removed, fit for logs, run.json and error messages.

    PostgreSQL passwords belong in PGPASSWORD or ~/.pgpass, which libpq reads on its own.
    """
    try:
        u = make_url(url)
        # URL.set() treats None as "leave unchanged", so build the URL again without the password.
        return URL.create(u.drivername, username=u.username, host=u.host, port=u.port, database=u.database,
                          query=u.query).render_as_string(hide_password=False)
    except ArgumentError:
        return "<unparseable store URL>"


def _engine_url(url: str) -> str:
    """postgresql:// and postgres:// go through psycopg 3; anything but SQLite or PostgreSQL is refused."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if url.startswith(("postgresql+psycopg://", "sqlite://")):
        return url
    raise UserError(f"store {safe_url(url)}: use sqlite:///PATH or postgresql://USER@HOST:PORT/DB")


class Store:
    """Runs, items, results, failures and artifacts in SQLite or PostgreSQL (SQLAlchemy Core).

    `schema` puts the tables in a PostgreSQL schema of that name (created if missing): several
    deployments or test sessions can then share one database without seeing each other.
    """

    def __init__(self, url: str, *, schema: str | None = None) -> None:
        self.url = url
        self.display_url = safe_url(url)
        engine_url = _engine_url(url)
        self.engine = self._make_engine(engine_url, schema)
        self.dialect = self.engine.dialect.name
        self._create_tables(schema)

    @classmethod
    def in_folder(cls, folder: str | Path) -> Store:
        """The default store of a run: `store.sqlite` inside the run folder."""
        return cls(f"sqlite:///{Path(folder).resolve() / 'store.sqlite'}")

    # -- set-up --------------------------------------------------------------------------------

    def _make_engine(self, engine_url: str, schema: str | None) -> Engine:
        try:
            if engine_url.startswith("sqlite"):
                engine = self._sqlite_engine(engine_url)
            else:
                engine = create_engine(engine_url, pool_pre_ping=True, pool_size=5, max_overflow=5)
        except (NoSuchModuleError, ModuleNotFoundError) as e:
            raise UserError(f"store {self.display_url}: the PostgreSQL driver is missing "
                            "(pip install 'verbalize[postgres]')") from e
        except ArgumentError as e:
            raise UserError(f"store {self.display_url}: not a valid database URL ({e})") from None
        if schema:
            if engine.dialect.name != "postgresql":
                raise UserError(f"store {self.display_url}: a schema can only be given for PostgreSQL")
            engine = engine.execution_options(schema_translate_map={None: schema})
        return engine

    @staticmethod
    def _sqlite_engine(engine_url: str) -> Engine:
        database = make_url(engine_url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(engine_url)
        else:
            engine = create_engine(engine_url, poolclass=StaticPool, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL: readers (a report, the service) never block the writer; a killed writer leaves a
            # consistent file. NORMAL sync is safe against a process crash (only power loss can
            # drop the last commits). Transactions are begun by hand below (isolation_level=None).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON", "synchronous=NORMAL"):
                cur.execute(f"PRAGMA {pragma}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # A write takes the lock up front (IMMEDIATE), so it waits on busy_timeout instead of
            # failing with "database is locked" when it would upgrade a read lock mid-transaction.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

        return engine

    def _create_tables(self, schema: str | None) -> None:
        try:
            with self.engine.begin() as c:
                if schema and self.dialect == "postgresql":
                    c.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            try:
                metadata.create_all(self.engine)
            except DBAPIError:
                # Two processes opening a fresh store at once race on CREATE TABLE; the loser
                # finds the tables on its second look.
                metadata.create_all(self.engine)
        except DBAPIError as e:
            reason = str(e.orig).strip().splitlines()[0] if e.orig else type(e).__name__
            raise UserError(f"store {self.display_url}: cannot open ({reason})") from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers -------------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect() as c:
            c.execution_options(write=True)
            with c.begin():
                yield c

    def _insert(self, table: Table) -> Any:
        dialect = postgresql if self.dialect == "postgresql" else sqlite
        return dialect.insert(table)

    def _item_id(self, c: Connection, run_id: int, item_key: str) -> tuple[int, str]:
        row = c.execute(select(items_table.c.id, items_table.c.status)
                        .where(items_table.c.run_id == run_id, items_table.c.item_key == item_key)).one_or_none()
        if row is None:
            raise KeyError(f"run {run_id} has no item {item_key!r}")
        return row.id, row.status

    @staticmethod
    def _run_record(row: Any) -> RunRecord:
        return RunRecord(id=row.id, name=row.name, kind=row.kind, status=row.status, config=row.config,
                         provenance=row.provenance, created=_aware(row.created), updated=_aware(row.updated))

    @staticmethod
    def _item_record(row: Any, **extra: Any) -> ItemRecord:
        return ItemRecord(id=row.id, run_id=row.run_id, item_key=row.item_key, input=row.input, label=row.label,
                          status=row.status, attempts=row.attempts, **extra)

    # -- runs ----------------------------------------------------------------------------------

    def create_or_resume_run(self, name: str, kind: RunKind, config: dict[str, Any], provenance: dict[str, Any],
                             items: Iterable[ItemSpec]) -> RunRecord:
        """Create the run and its items, or find the run of that name and add only items it lacks.

        Idempotent: calling it again with the same items adds nothing, and the run keeps its
        original config and provenance. A different kind under the same name is refused.
        """
        specs = list(items)
        keys = [s.item_key for s in specs]
        if len(set(keys)) != len(keys):
            dupes = sorted({k for k in keys if keys.count(k) > 1})[:3]
            raise ValueError(f"item keys must be unique within a run; repeated: {', '.join(dupes)}")
        now = _now()
        with self._write() as c:
            c.execute(self._insert(runs_table).values(
                name=name, kind=kind, status="created", config=_json_safe(config), provenance=_json_safe(provenance),
                created=now, updated=now).on_conflict_do_nothing(index_elements=["name"]))
            row = c.execute(select(runs_table).where(runs_table.c.name == name)).one()
            if row.kind != kind:
                raise UserError(f"run {name!r} already exists as a {row.kind} run, not {kind}")
            rows = [{"run_id": row.id, "item_key": s.item_key, "input": _json_safe(s.input), "label": s.label,
                     "status": "pending", "attempts": 0, "updated": now} for s in specs]
            stmt = self._insert(items_table).on_conflict_do_nothing(index_elements=["run_id", "item_key"])
            for start in range(0, len(rows), 500):
                c.execute(stmt, rows[start:start + 500])
        return self._run_record(row)

    def get_run(self, name_or_id: str | int) -> RunRecord | None:
        """A run by name; by id when given an int (or a string of digits that names no run)."""
        with self.engine.connect() as c:
            row = None
            if isinstance(name_or_id, str):
                row = c.execute(select(runs_table).where(runs_table.c.name == name_or_id)).one_or_none()
            if row is None and (isinstance(name_or_id, int) or name_or_id.isdigit()):
                row = c.execute(select(runs_table).where(runs_table.c.id == int(name_or_id))).one_or_none()
        return self._run_record(row) if row is not None else None

    def list_runs(self) -> list[RunRecord]:
        with self.engine.connect() as c:
            return [self._run_record(r) for r in c.execute(select(runs_table).order_by(runs_table.c.id))]

    def set_status(self, run_id: int, status: str) -> None:
        with self._write() as c:
            c.execute(update(runs_table).where(runs_table.c.id == run_id).values(status=status, updated=_now()))

    # -- leases --------------------------------------------------------------------------------

    def acquire_lease(self, run_id: int, owner: str, *, seconds: float = LEASE_S) -> None:
        """Take (or renew) the run's lease for `owner`; `LeaseHeld` when a live runner holds it."""
        now = _now()
        expires = now + timedelta(seconds=seconds)
        with self._write() as c:
            row = c.execute(select(leases_table.c.owner, leases_table.c.expires)
                            .where(leases_table.c.run_id == run_id)).one_or_none()
            if row is None:
                c.execute(leases_table.insert().values(run_id=run_id, owner=owner, expires=expires))
                return
            if row.owner != owner and _aware(row.expires) > now and not _owner_is_dead(row.owner):
                left = int((_aware(row.expires) - now).total_seconds())
                raise LeaseHeld(f"run {run_id} is being worked on by another runner ({row.owner}); wait for it "
                                f"to finish, or for its lease to lapse (in {left} s if it was killed)")
            taken = c.execute(update(leases_table).where(leases_table.c.run_id == run_id,
                                                          leases_table.c.owner == row.owner)
                              .values(owner=owner, expires=expires))
            if taken.rowcount != 1:  # another runner took the lapsed lease between our read and write
                raise LeaseHeld(f"run {run_id} was just taken by another runner")

    def release_lease(self, run_id: int, owner: str) -> None:
        with self._write() as c:
            c.execute(leases_table.delete().where(leases_table.c.run_id == run_id, leases_table.c.owner == owner))

    # -- items ---------------------------------------------------------------------------------

    def pending_items(self, run_id: int, *, include_failed: bool = False) -> list[ItemRecord]:
        """Items still to do, in the order they were added; failed ones too when retrying them."""
        wanted = ["pending", "failed"] if include_failed else ["pending"]
        with self.engine.connect() as c:
            rows = c.execute(select(items_table).where(items_table.c.run_id == run_id,
                                                      items_table.c.status.in_(wanted)).order_by(items_table.c.id))
            return [self._item_record(r) for r in rows]

    def failed_items(self, run_id: int, limit: int | None = None) -> list[ItemRecord]:
        """Failed items with their reasons, in order (the summary a CLI or a job page shows)."""
        with self.engine.connect() as c:
            stmt = (select(items_table, failures_table.c.reason)
                    .join(failures_table, failures_table.c.item_id == items_table.c.id)
                    .where(items_table.c.run_id == run_id, items_table.c.status == "failed")
                    .order_by(items_table.c.id).limit(limit))
            return [self._item_record(r, failure=r.reason) for r in c.execute(stmt)]

    def record_result(self, run_id: int, item_key: str, result: dict[str, Any],
                      artifacts: dict[str, bytes] | None = None) -> bool:
        """Store an item's result and artifacts once; True if this call stored it, False if it was there.

        The first result wins: a later write for the same item changes nothing. A result clears
        an earlier failure of the item (it was retried and worked).
        """
        now = _now()
        with self._write() as c:
            item_id, _status = self._item_id(c, run_id, item_key)
            # RETURNING rather than rowcount: drivers disagree on rowcount after ON CONFLICT DO NOTHING.
            stored = c.execute(self._insert(results_table).values(
                item_id=item_id, result=_json_safe(result), created=now,
            ).on_conflict_do_nothing(index_elements=["item_id"]).returning(results_table.c.id)).scalar_one_or_none()
            if stored is None:
                return False
            if artifacts:
                c.execute(self._insert(artifacts_table).on_conflict_do_nothing(index_elements=["item_id", "name"]),
                          [{"item_id": item_id, "name": n, "data": bytes(d)} for n, d in artifacts.items()])
            c.execute(failures_table.delete().where(failures_table.c.item_id == item_id))
            c.execute(update(items_table).where(items_table.c.id == item_id).values(
                status="done", attempts=items_table.c.attempts + 1, updated=now))
            c.execute(update(runs_table).where(runs_table.c.id == run_id).values(updated=now))
        return True

    def record_failure(self, run_id: int, item_key: str, reason: str) -> bool:
        """Mark an item failed with a one-line reason; an item that already succeeded stays done (False)."""
        now = _now()
        reason = " ".join(reason.split()) or "failed (no reason given)"
        with self._write() as c:
            item_id, status = self._item_id(c, run_id, item_key)
            if status == "done":
                return False
            c.execute(self._insert(failures_table).values(item_id=item_id, reason=reason, created=now)
                      .on_conflict_do_update(index_elements=["item_id"], set_={"reason": reason, "created": now}))
            c.execute(update(items_table).where(items_table.c.id == item_id).values(
                status="failed", attempts=items_table.c.attempts + 1, updated=now))
            c.execute(update(runs_table).where(runs_table.c.id == run_id).values(updated=now))
        return True

    def items(self, run_id: int, with_artifacts: bool = False) -> Iterator[ItemRecord]:
        """Every item of the run with its result or failure, in order; read a page at a time."""
        last_id = 0
        while True:
            with self.engine.connect() as c:
                rows = c.execute(
                    select(items_table, results_table.c.result, failures_table.c.reason)
                    .outerjoin(results_table, results_table.c.item_id == items_table.c.id)
                    .outerjoin(failures_table, failures_table.c.item_id == items_table.c.id)
                    .where(items_table.c.run_id == run_id, items_table.c.id > last_id)
                    .order_by(items_table.c.id).limit(_PAGE)).all()
                blobs: dict[int, dict[str, bytes]] = {}
                if with_artifacts and rows:
                    for a in c.execute(select(artifacts_table.c.item_id, artifacts_table.c.name, artifacts_table.c.data)
                                       .where(artifacts_table.c.item_id.in_([r.id for r in rows]))):
                        blobs.setdefault(a.item_id, {})[a.name] = bytes(a.data)
            for r in rows:
                yield self._item_record(r, result=r.result, failure=r.reason, artifacts=blobs.get(r.id, {}))
            if len(rows) < _PAGE:
                return
            last_id = rows[-1].id

    def artifact(self, run_id: int, item_key: str, name: str) -> bytes | None:
        with self.engine.connect() as c:
            data = c.execute(select(artifacts_table.c.data)
                             .join(items_table, items_table.c.id == artifacts_table.c.item_id)
                             .where(items_table.c.run_id == run_id, items_table.c.item_key == item_key,
                                    artifacts_table.c.name == name)).scalar_one_or_none()
        return bytes(data) if data is not None else None

    def progress(self, run_id: int) -> dict[str, int]:
        """Counts by status: total, done, failed, pending."""
        with self.engine.connect() as c:
            counts: dict[str, int] = dict(c.execute(select(items_table.c.status, func.count())
                                    .where(items_table.c.run_id == run_id).group_by(items_table.c.status)).all())
        out = {s: int(counts.get(s, 0)) for s in ("done", "failed", "pending")}
        return {"total": sum(out.values()), **out}
