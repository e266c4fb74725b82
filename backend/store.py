"""Durable document storage on TinyDB: a journal with compaction, revisions, and a data-dir lock.

TinyDB's default JSONStorage truncates and rewrites its file on every write, so a crash mid-write
loses the database, and every operation re-reads or rewrites the whole file. kfn instead keeps
every document in memory and makes each acknowledged write one fsync'ed journal line:

    <data dir>/kfn.db.json     a TinyDB-format snapshot ({"table": {"doc id": {...}}})
    <data dir>/kfn.journal     lines "<crc32 hex> <json record>\\n" written since the snapshot

`JournalStorage` implements TinyDB's Storage interface, so TinyDB tables and queries work on the
same state; its `write()` (TinyDB's whole-state write) is an atomic compaction. The request path
uses `DocumentStore`, whose writes cost one journal append whatever the number of documents.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import secrets
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

SNAPSHOT_NAME = "kfn.db.json"
JOURNAL_NAME = "kfn.journal"
LOCK_NAME = "kfn.lock"
COMPACT_ON_CLOSE = 500  # journal records left at close that are worth a snapshot

Document = dict[str, Any]
Tables = dict[str, dict[str, Document]]


class StoreError(Exception):
    """A storage failure a person can act on (disk full, unreadable files, ...)."""


class DataDirLocked(StoreError):
    def __init__(self, data_dir: Path, owner_pid: int | None) -> None:
        who = f"pid {owner_pid}" if owner_pid else "another process"
        super().__init__(
            f"the data dir {data_dir} is in use by another kfn ({who}); stop it, or start this "
            f"one with --data-dir pointing elsewhere"
        )
        self.owner_pid = owner_pid


class RevisionConflict(StoreError):
    """A write named a revision that is no longer the current one."""

    def __init__(self, doc_id: str, expected: str | None, current: str | None) -> None:
        super().__init__(f"document {doc_id} is at revision {current}, not {expected}")
        self.doc_id = doc_id
        self.expected = expected
        self.current = current


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _describe_os_error(action: str, exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return f"{action} failed: the disk is full ({exc.strerror}); free some space and retry"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{action} failed: no permission to write ({exc.strerror})"
    return f"{action} failed: {exc.strerror or exc}"


class DataDirLock:
    """One process owns a data dir at a time (flock, released by the kernel even on kill -9)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            raise DataDirLocked(self.data_dir, int(owner) if owner.isdigit() else None) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None


class JournalStorage(Storage):
    """TinyDB storage: snapshot + append-only journal, all state held in memory.

    `append()` is the cheap durable write; `write()` (TinyDB's interface) compacts atomically:
    temp file, fsync, rename, fsync the directory, then an empty journal.
    """

    def __init__(
        self,
        path: str,
        compact_every: int = 20_000,
        fsync: bool = True,
        compact_on_close: int = COMPACT_ON_CLOSE,
    ) -> None:
        self.snapshot_path = Path(path)
        self.journal_path = self.snapshot_path.with_name(JOURNAL_NAME)
        self.compact_every = compact_every
        self.compact_on_close = compact_on_close
        self.fsync = fsync
        self._lock = threading.RLock()
        self._tables: Tables = self._load()
        self._journal_fd = os.open(self.journal_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._journal_records = self._count_records
        if self._journal_records >= self.compact_every:
            self.compact()

    # -- loading -------------------------------------------------------------------------------
    def _load(self) -> Tables:
        tables: Tables = {}
        if self.snapshot_path.exists():
            try:
                tables = json.loads(self.snapshot_path.read_text(encoding="utf-8") or "{}")
            except (OSError, ValueError) as exc:
                raise StoreError(f"cannot read the snapshot {self.snapshot_path}: {exc}") from exc
        self._count_records = 0
        if self.journal_path.exists():
            raw = self.journal_path.read_bytes()
            *complete, _tail = raw.split(b"\n")  # `tail` is b"" unless the last write was torn
            good_bytes = 0
            for index, line in enumerate(complete):
                record = self._decode_line(line)
                if record is None:
                    if index == len(complete) - 1:
                        break  # a damaged final record was never acknowledged: drop it
                    raise StoreError(
                        f"the journal {self.journal_path} is damaged at line {index + 1}; "
                        f"move it aside to open the last snapshot"
                    )
                self._apply(tables, record)
                self._count_records += 1
                good_bytes += len(line) + 1
            if good_bytes < len(raw):
                with open(self.journal_path, "r+b") as handle:
                    handle.truncate(good_bytes)
        return tables

    @staticmethod
    def _decode_line(line: bytes) -> dict[str, Any] | None:
        crc, _, payload = line.partition(b" ")
        try:
            if int(crc, 16) != zlib.crc32(payload):
                return None
            record = json.loads(payload)
            return record if isinstance(record, dict) else None
        except ValueError:
            return None

    @staticmethod
    def _apply(tables: Tables, record: dict[str, Any]) -> None:
        table = tables.setdefault(record["t"], {})
        if record.get("d") is None:
            table.pop(record["k"], None)
        else:
            table[record["k"]] = record["d"]

    # -- TinyDB Storage interface -----------------------------------------------------------------
    def read(self) -> Tables:
        return self._tables

    def write(self, data: Tables) -> None:
        with self._lock:
            self._write_snapshot(data)
            self._tables = data

    def close(self) -> None:
        with self._lock:
            if self._journal_fd is None:
                return
            if self._journal_records >= self.compact_on_close:
                # Replaying a long journal costs the next start more than one snapshot read
                # (1,000 records: ~10 ms against ~4). Everything is durable already: a
                # compaction that fails (a full disk) leaves the journal as it was.
                with contextlib.suppress(StoreError):
                    self.compact()
            if self._journal_fd is not None:
                os.close(self._journal_fd)
                self._journal_fd = None  # type: ignore[assignment]

    # -- the cheap durable write --------------------------------------------------------------
    def append(self, table: str, key: str, doc: Document | None) -> None:
        """Durably record one document write (None deletes), then apply it in memory."""
        payload = json.dumps({"t": table, "k": key, "d": doc}, separators=(",", ":")).encode()
        line = b"%08x %s\n" % (zlib.crc32(payload), payload)
        with self._lock:
            size = os.fstat(self._journal_fd).st_size
            try:
                written = os.write(self._journal_fd, line)
                if written != len(line):
                    raise OSError(errno.ENOSPC, "short write to the journal")
                if self.fsync:
                    os.fdatasync(self._journal_fd)
            except OSError as exc:
                # Roll the journal back so a half line never precedes later records.
                with contextlib.suppress(OSError):
                    os.ftruncate(self._journal_fd, size)
                raise StoreError(_describe_os_error("saving", exc)) from exc
            self._apply(self._tables, {"t": table, "k": key, "d": doc})
            self._journal_records += 1
            if self._journal_records >= self.compact_every:
                with contextlib.suppress(StoreError):
                    # The write above is already durable; a failed compaction only delays.
                    self.compact()

    def compact(self) -> None:
        with self._lock:
            self._write_snapshot(self._tables)

    def _write_snapshot(self, data: Tables) -> None:
        tmp = self.snapshot_path.with_suffix(".tmp")
        try:
            # Private like the journal: the data holds API keys and tokens.
            tmp.unlink(missing_ok=True)  # a leftover would keep its own mode
            descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(data, handle, separators=(",", ":"))
                handle.flush()
                if self.fsync:
                    os.fsync(handle.fileno())
            os.replace(tmp, self.snapshot_path)
            if self.fsync:
                _fsync_dir(self.snapshot_path.parent)
            # Only once the snapshot is durable may the journal it contains be emptied.
            os.ftruncate(self._journal_fd, 0)
            if self.fsync:
                os.fsync(self._journal_fd)
            self._journal_records = 0
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise StoreError(_describe_os_error("writing the snapshot", exc)) from exc


class StringIdTable(Table):
    """Tables keyed by kfn's string ids (TinyDB's default is int)."""

    document_id_class = str  # type: ignore[assignment]

    def _get_next_id(self) -> str:
        return secrets.token_hex(16)


class KfnTinyDB(TinyDB):
    table_class = StringIdTable


def new_revision(generation: int, doc: Document) -> str:
    body = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    return f"{generation}-{hashlib.md5(body + os.urandom(8)).hexdigest()}"


def revision_generation(rev: str | None) -> int:
    if not rev:
        return 0
    head, _, _ = rev.partition("-")
    return int(head) if head.isdigit() else 0


class DocumentStore:
    """The store every service uses: reads through TinyDB's tables (O(1) by id, from memory),
    one journal line per write (writes go around TinyDB's Table, whose every insert rewrites
    the whole state through Storage.write).

    Documents keep their revision in `_rev`; `put(..., if_rev=...)` refuses a stale one.
    """

    def __init__(self, data_dir: Path | str, *, fsync: bool = True, lock: bool = True) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = DataDirLock(self.data_dir) if lock else None
        if self._lock:
            self._lock.acquire()
        try:
            self.db = KfnTinyDB(
                str(self.data_dir / SNAPSHOT_NAME), storage=JournalStorage, fsync=fsync
            )
        except Exception:
            if self._lock:
                self._lock.release()
            raise
        self.storage: JournalStorage = self.db.storage  # type: ignore[assignment]
        self._write_lock = threading.Lock()

    def close(self) -> None:
        self.db.close()
        if self._lock:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> DocumentStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads: TinyDB's table API over the journaled state ----------------------------------------
    def table(self, name: str) -> Table:
        return self.db.table(name)

    def get(self, table: str, key: str) -> Document | None:
        """A copy of the document (a TinyDB Document), or None: callers may change it freely."""
        found = self.db.table(table).get(doc_id=key)  # type: ignore[call-overload]  # str ids
        return found if isinstance(found, dict) else None

    def all(self, table: str) -> Iterator[tuple[str, Document]]:
        return iter([(str(doc.doc_id), doc) for doc in self.db.table(table)])

    def count(self, table: str) -> int:
        return len(self.db.table(table))

    # -- writes ----------------------------------------------------------------------------------
    def put(
        self,
        table: str,
        key: str,
        doc: Document,
        *,
        create: bool = False,
        if_rev: str | None = None,
    ) -> Document:
        """Write `doc` with a new revision. `create=True`: the key must not exist yet;
        `if_rev`: the document must currently be at that revision. Else RevisionConflict."""
        if create and if_rev is not None:
            raise ValueError("a put either creates or names the revision it replaces")
        with self._write_lock:
            current = self.get(table, key)
            current_rev = current.get("_rev") if current else None
            if (create and current is not None) or (if_rev is not None and if_rev != current_rev):
                raise RevisionConflict(key, if_rev, current_rev)
            stored = {k: v for k, v in doc.items() if k != "_rev"}
            stored["_rev"] = new_revision(revision_generation(current_rev) + 1, stored)
            self.storage.append(table, key, stored)
            return stored

    def delete(self, table: str, key: str, *, if_rev: str | None = None) -> None:
        with self._write_lock:
            current = self.get(table, key)
            if current is None:
                return
            if if_rev is not None and if_rev != current.get("_rev"):
                raise RevisionConflict(key, if_rev, current.get("_rev"))
            self.storage.append(table, key, None)
