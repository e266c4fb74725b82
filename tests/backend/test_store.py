"""The journal store: durability, torn writes, damage, conflicts, the data-dir lock, full disks."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from backend.store import DataDirLocked, DocumentStore, RevisionConflict, StoreError
from tests.conftest import REPO


def test_writes_survive_reopening_and_compaction(tmp_path: Path) -> None:
    with DocumentStore(tmp_path) as store:
        store.put("t", "a", {"v": 1})
        store.put("t", "b", {"v": 2})
        store.delete("t", "b")
        store.storage.compact()
        store.put("t", "c", {"v": 3})
    with DocumentStore(tmp_path) as store:
        assert (
            store.get("t", "a")["v"] == 1
            and store.get("t", "b") is None
            and store.get("t", "c")["v"] == 3
        )
        # TinyDB's own table API reads the same state.
        assert sorted(doc["v"] for doc in store.db.table("t").all()) == [1, 3]


def test_revisions_and_conflicts(tmp_path: Path) -> None:
    with DocumentStore(tmp_path) as store:
        first = store.put("t", "a", {"v": 1}, create=True)
        assert first["_rev"].startswith("1-") and len(first["_rev"]) == 34
        second = store.put("t", "a", {"v": 2}, if_rev=first["_rev"])
        assert second["_rev"].startswith("2-")
        with pytest.raises(RevisionConflict):
            store.put("t", "a", {"v": 3}, if_rev=first["_rev"])
        with pytest.raises(RevisionConflict):
            store.put("t", "a", {"v": 3}, create=True)
        assert store.get("t", "a")["v"] == 2


def test_a_torn_last_line_is_dropped_and_earlier_writes_kept(tmp_path: Path) -> None:
    with DocumentStore(tmp_path) as store:
        store.put("t", "a", {"v": 1})
    journal = tmp_path / "kfn.journal"
    with open(journal, "ab") as handle:
        handle.write(b'1234abcd {"t":"t","k":"b","d":{"v"')  # a write cut off by a crash
    with DocumentStore(tmp_path) as store:
        assert store.get("t", "a")["v"] == 1 and store.get("t", "b") is None
        store.put("t", "c", {"v": 3})
    with DocumentStore(tmp_path) as store:
        assert store.get("t", "c")["v"] == 3


def test_damage_in_the_middle_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    with DocumentStore(tmp_path) as store:
        store.put("t", "a", {"v": 1})
        store.put("t", "b", {"v": 2})
    journal = tmp_path / "kfn.journal"
    lines = journal.read_bytes().split(b"\n")
    lines[0] = lines[0].replace(b'"v":1', b'"v":7')  # the checksum no longer matches
    journal.write_bytes(b"\n".join(lines))
    with pytest.raises(StoreError, match="damaged at line 1"):
        DocumentStore(tmp_path)


def test_one_process_per_data_dir(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys, time
            from backend.store import DocumentStore
            store = DocumentStore({str(tmp_path)!r})
            print("locked", flush=True)
            time.sleep(30)
        """),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(DataDirLocked) as caught:
            DocumentStore(tmp_path)
        assert caught.value.owner_pid == holder.pid
        assert str(holder.pid) in str(caught.value)
    finally:
        holder.kill()
        holder.wait()
    with DocumentStore(tmp_path) as store:  # the kernel released the lock with the process
        assert store.count("t") == 0


def test_a_full_disk_refuses_the_write_and_loses_nothing(tmp_path: Path) -> None:
    # RLIMIT_FSIZE makes the kernel refuse to grow the journal (EFBIG), as a full disk would.
    script = textwrap.dedent(f"""
        import resource, signal, json
        from backend.store import DocumentStore, StoreError
        store = DocumentStore({str(tmp_path)!r})
        store.put("t", "kept", {{"v": 1}})
        size = (store.data_dir / "kfn.journal").stat().st_size
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size + 10, resource.RLIM_INFINITY))
        try:
            store.put("t", "lost", {{"v": "x" * 1000}})
            print(json.dumps({{"error": None}}))
        except StoreError as exc:
            print(json.dumps({{"error": str(exc), "in_memory": store.get("t", "lost")}}))
    """)
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0, out.stderr
    import json

    result = json.loads(out.stdout)
    assert result["error"] and "disk is full" in result["error"]
    assert result["in_memory"] is None
    with DocumentStore(tmp_path) as store:
        assert store.get("t", "kept")["v"] == 1 and store.get("t", "lost") is None
        store.put("t", "after", {"v": 2})
    with DocumentStore(tmp_path) as store:
        assert store.get("t", "after")["v"] == 2


def test_an_unreadable_snapshot_is_refused_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "kfn.db.json").write_text("{ not json")
    with pytest.raises(StoreError, match="cannot read the snapshot"):
        DocumentStore(tmp_path)
    with pytest.raises(StoreError, match="cannot read the snapshot"):
        DocumentStore(tmp_path)  # the failed open released the lock: the same error, not "in use"


def test_the_snapshot_is_private_like_the_journal(tmp_path: Path) -> None:
    (tmp_path / "kfn.db.tmp").write_text("{}")  # a leftover from a crash, world-readable
    (tmp_path / "kfn.db.tmp").chmod(0o644)
    with DocumentStore(tmp_path) as store:
        store.put("t", "a", {"api_key": "secret"})
        store.storage.compact()
    assert (tmp_path / "kfn.db.json").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "kfn.journal").stat().st_mode & 0o777 == 0o600


def test_closing_with_a_long_journal_compacts_it(tmp_path: Path) -> None:
    journal, snapshot = tmp_path / "kfn.journal", tmp_path / "kfn.db.json"
    with DocumentStore(tmp_path) as store:
        for index in range(3):
            store.put("t", str(index), {"v": index})
    assert journal.stat().st_size > 0 and not snapshot.exists()  # short: left as it is

    store = DocumentStore(tmp_path)
    store.storage.compact_on_close = 5
    for index in range(3, 8):
        store.put("t", str(index), {"v": index})
    store.close()
    assert journal.stat().st_size == 0 and snapshot.exists()
    with DocumentStore(tmp_path) as store:
        assert sorted(doc["v"] for _key, doc in store.all("t")) == list(range(8))


def test_a_compaction_at_close_that_fails_loses_nothing(tmp_path: Path) -> None:
    # The snapshot cannot be written (RLIMIT_FSIZE, as a full disk): the close still succeeds,
    # and the journal, untouched, brings everything back.
    script = textwrap.dedent(f"""
        import resource, signal
        from backend.store import DocumentStore
        store = DocumentStore({str(tmp_path)!r})
        store.storage.compact_on_close = 5
        for index in range(8):
            store.put("t", str(index), {{"v": index, "pad": "x" * 200}})
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100, resource.RLIM_INFINITY))
        store.close()
        print("closed")
    """)
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0 and out.stdout.strip() == "closed", out.stderr
    assert not (tmp_path / "kfn.db.json").exists()
    assert (tmp_path / "kfn.journal").stat().st_size > 0
    with DocumentStore(tmp_path) as store:
        assert sorted(doc["v"] for _key, doc in store.all("t")) == list(range(8))


def test_two_writers_of_one_file_never_share_a_temporary_file(tmp_path) -> None:
    """A thread and the event loop write the drafts file; each write must land whole."""
    import json
    import threading

    from backend.paths import write_atomically

    target = tmp_path / "drafts.json"
    errors: list[BaseException] = []

    def write(tag: str) -> None:
        try:
            for index in range(200):
                write_atomically(target, json.dumps({"by": tag, "n": index}))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(tag,)) for tag in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert json.loads(target.read_text())["n"] == 199
    assert [p.name for p in tmp_path.iterdir()] == ["drafts.json"]  # no temporary left
