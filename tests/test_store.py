"""The run store, the same suite on SQLite and on the real PostgreSQL server of this machine.

PostgreSQL tests use a schema of their own (dropped afterwards), so parallel sessions sharing the
`test` database never see each other's rows. They are skipped only when the server is not
reachable, and the skip says why.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, text

from verbalize.core.errors import UserError
from verbalize.store import ItemSpec, Store, items_table, results_table

PG_URL = os.environ.get("VERBALIZE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_unreachable() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(PG_URL, connect_timeout=3):
            return None
    except psycopg.OperationalError as e:
        return f"PostgreSQL at {PG_URL} is not reachable: {str(e).strip().splitlines()[0]}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[Store]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        with Store(f"sqlite:///{tmp_path / 'store.sqlite'}") as s:
            yield s
        return
    reason = _pg_unreachable()
    if reason:
        if os.environ.get("CI"):  # CI machines run PostgreSQL: there, a missing server is a failure
            pytest.fail(reason)
        pytest.skip(reason)
    schema = f"test_store_{uuid.uuid4().hex[:12]}"
    s = Store(PG_URL, schema=schema)
    try:
        yield s
    finally:
        with s.engine.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        s.close()


def specs(n: int, start: int = 0) -> list[ItemSpec]:
    return [ItemSpec(item_key=f"img/{i:03d}.png", input={"path": f"/data/img/{i:03d}.png"},
                     label="tabby" if i % 2 else None) for i in range(start, start + n)]


def result_rows(store: Store, run_id: int) -> dict[str, int]:
    """item_key → number of result rows, straight from the table."""
    with store.engine.connect() as c:
        rows = c.execute(select(items_table.c.item_key, func.count(results_table.c.id))
                         .join(results_table, results_table.c.item_id == items_table.c.id)
                         .where(items_table.c.run_id == run_id).group_by(items_table.c.item_key))
        return dict(rows.all())


def test_create_then_resume_adds_only_new_items(store: Store) -> None:
    run = store.create_or_resume_run("cats", "image", {"seed": 0}, {"engine": "local"}, specs(3))
    again = store.create_or_resume_run("cats", "image", {"seed": 99}, {"engine": "ray"}, specs(3) + specs(1, start=3))
    assert again.id == run.id
    assert again.config == {"seed": 0} and again.provenance == {"engine": "local"}  # the original run is kept
    assert [i.item_key for i in store.pending_items(run.id)] == [s.item_key for s in specs(4)]
    assert store.progress(run.id) == {"total": 4, "done": 0, "failed": 0, "pending": 4}
    labels = {i.item_key: i.label for i in store.items(run.id)}
    assert labels["img/001.png"] == "tabby" and labels["img/000.png"] is None
    assert [r.name for r in store.list_runs()] == ["cats"]


def test_same_name_other_kind_and_duplicate_keys_are_refused(store: Store) -> None:
    store.create_or_resume_run("mixed", "image", {}, {}, specs(1))
    with pytest.raises(UserError, match="already exists as a image run"):
        store.create_or_resume_run("mixed", "text", {}, {}, [])
    with pytest.raises(ValueError, match="unique"):
        store.create_or_resume_run("dupes", "image", {}, {}, specs(2) + specs(1))
    assert store.get_run("dupes") is None


def test_a_result_is_stored_exactly_once(store: Store) -> None:
    run = store.create_or_resume_run("once", "image", {}, {}, specs(2))
    key = "img/000.png"
    assert store.record_result(run.id, key, {"label": "tabby", "p": 0.7}, {"overlay.png": b"first"}) is True
    assert store.record_result(run.id, key, {"label": "other", "p": 0.1}, {"overlay.png": b"second"}) is False
    assert result_rows(store, run.id) == {key: 1}
    item = next(i for i in store.items(run.id) if i.item_key == key)
    assert item.status == "done" and item.attempts == 1 and item.result == {"label": "tabby", "p": 0.7}
    assert store.artifact(run.id, key, "overlay.png") == b"first"
    with pytest.raises(KeyError):
        store.record_result(run.id, "no/such.png", {}, {})


def test_concurrent_writers_still_store_one_result(store: Store) -> None:
    """Two processes resuming one run (here: two engines, eight threads) race on the same item."""
    run = store.create_or_resume_run("race", "image", {}, {}, specs(1))
    other = Store(store.url) if store.dialect == "sqlite" else store
    outcomes: list[bool] = []
    barrier = threading.Barrier(8)

    def write(s: Store, n: int) -> None:
        barrier.wait()
        outcomes.append(s.record_result(run.id, "img/000.png", {"writer": n}, {"overlay.png": bytes([n])}))

    threads = [threading.Thread(target=write, args=(store if n % 2 else other, n)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [False] * 7 + [True]
    assert result_rows(store, run.id) == {"img/000.png": 1}
    winner = next(store.items(run.id)).result
    assert winner is not None
    assert store.artifact(run.id, "img/000.png", "overlay.png") == bytes([winner["writer"]])


def test_failures_are_recorded_and_a_later_success_clears_them(store: Store) -> None:
    run = store.create_or_resume_run("fails", "image", {}, {}, specs(3))
    assert store.record_failure(run.id, "img/001.png", "img/001.png: not an image\n  (unrecognised format)")
    assert store.progress(run.id) == {"total": 3, "done": 0, "failed": 1, "pending": 2}
    failed = store.failed_items(run.id)
    assert [(i.item_key, i.failure, i.attempts) for i in failed] == [
        ("img/001.png", "img/001.png: not an image (unrecognised format)", 1)]
    assert "img/001.png" not in [i.item_key for i in store.pending_items(run.id)]
    assert "img/001.png" in [i.item_key for i in store.pending_items(run.id, include_failed=True)]

    store.record_failure(run.id, "img/001.png", "still broken")
    item = next(i for i in store.items(run.id) if i.item_key == "img/001.png")
    assert (item.status, item.failure, item.attempts) == ("failed", "still broken", 2)

    store.record_result(run.id, "img/001.png", {"label": "tabby"}, {})
    item = next(i for i in store.items(run.id) if i.item_key == "img/001.png")
    assert (item.status, item.failure, item.attempts) == ("done", None, 3)
    assert store.record_failure(run.id, "img/001.png", "late failure") is False  # a success stays a success
    assert store.progress(run.id) == {"total": 3, "done": 1, "failed": 0, "pending": 2}


def test_artifacts_round_trip_byte_for_byte(store: Store) -> None:
    run = store.create_or_resume_run("blobs", "image", {}, {}, specs(2))
    every_byte = bytes(range(256)) * 4
    big = os.urandom(1_500_000)
    store.record_result(run.id, "img/000.png", {"ok": True}, {"overlay.png": every_byte, "segment.png": big})
    assert store.artifact(run.id, "img/000.png", "overlay.png") == every_byte
    assert store.artifact(run.id, "img/000.png", "segment.png") == big
    assert store.artifact(run.id, "img/000.png", "missing.png") is None
    assert store.artifact(run.id, "img/001.png", "overlay.png") is None
    with_blobs = {i.item_key: i.artifacts for i in store.items(run.id, with_artifacts=True)}
    assert with_blobs["img/000.png"] == {"overlay.png": every_byte, "segment.png": big}
    assert with_blobs["img/001.png"] == {}
    assert all(i.artifacts == {} for i in store.items(run.id))
    assert "artifacts" not in next(store.items(run.id, with_artifacts=True)).model_dump(mode="json")


def test_items_pages_through_large_runs_in_order(store: Store) -> None:
    run = store.create_or_resume_run("many", "image", {}, {}, specs(450))
    for i in range(0, 450, 7):
        store.record_result(run.id, f"img/{i:03d}.png", {"i": i}, {})
    listed = list(store.items(run.id))
    assert [i.item_key for i in listed] == [s.item_key for s in specs(450)]
    assert sum(i.status == "done" for i in listed) == len(range(0, 450, 7))
    assert listed[7].result == {"i": 7}
    assert store.progress(run.id)["done"] == 65


def test_runs_by_name_or_id_and_status(store: Store) -> None:
    a = store.create_or_resume_run("alpha", "image", {"k": [1, 2]}, {"host": "h"}, [])
    b = store.create_or_resume_run("beta", "text", {}, {}, [ItemSpec(item_key="row:2", input={"text": "hi"})])
    assert store.get_run("alpha") == a and store.get_run(b.id) == b and store.get_run(str(b.id)) == b
    assert store.get_run("gamma") is None
    store.set_status(a.id, "running")
    updated = store.get_run("alpha")
    assert updated is not None and updated.status == "running" and updated.updated >= a.updated
    assert updated.created.tzinfo is not None
    assert [r.name for r in store.list_runs()] == ["alpha", "beta"]
    assert next(store.items(b.id)).input == {"text": "hi"}


def test_non_finite_numbers_are_stored_as_null(store: Store) -> None:
    run = store.create_or_resume_run("nan", "image", {}, {}, specs(1))
    store.record_result(run.id, "img/000.png", {"auc": float("nan"), "curve": [1.0, float("inf")]}, {})
    assert next(store.items(run.id)).result == {"auc": None, "curve": [1.0, None]}


def test_bad_store_urls_are_one_line_user_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UserError, match="use sqlite:///PATH or postgresql://"):
        Store("mysql://root@localhost/db")
    with pytest.raises(UserError, match=r"^store postgresql://postgres@127\.0\.0\.1:1/test\S*: cannot open") as e:
        Store("postgresql://postgres:secret@127.0.0.1:1/test?connect_timeout=2")
    assert "secret" not in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(UserError, match="only be given for PostgreSQL"):
        Store(f"sqlite:///{tmp_path / 's.sqlite'}", schema="x")


def test_sqlite_store_uses_wal_and_a_busy_timeout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with Store.in_folder(tmp_path / "runs" / "a") as s, s.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    assert (tmp_path / "runs" / "a" / "store.sqlite").is_file()
