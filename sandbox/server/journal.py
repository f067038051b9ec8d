"""The journal: what changed the venue, kept on disk before the answer goes out, so that a
server started again on the same state directory (`serve --state-dir DIR`) resumes where it
stopped, `kill -9` included.

The venue is deterministic given its inputs and the wall-clock times they came at, so the
journal keeps the inputs, in order, rather than their effects:

| kind | what | replayed as |
| --- | --- | --- |
| `exchange` | an `/exchange` body (HTTP, or a websocket post) | the same body, handled again |
| `control` | a control-plane request that changes something: path and fields | the same request |
| `due` | real time: the timeline ran what had fallen due | the same run |
| `run` | virtual time: the clock advanced to a time (a piece of an advance) | the same run |
| `tick` | virtual time: the core's clock moved to the end of an advance | the same tick |
| `shift` | real time: a resumed server moved everything scheduled past its downtime | the same shift |

Each entry has the wall-clock time its input was handled at (the clock is held at that time
while it is handled, so nonces, expiries and real-time commands read one time) and where the
timeline stood. A checkpoint (the venue's whole state, pickled, as a snapshot) is written
once the work journaled since the last one would take `CHECKPOINT_WORK_S` of CPU to replay
(or after `CHECKPOINT_ENTRIES` entries, or `CHECKPOINT_S` seconds), and the entries before
the previous checkpoint are dropped: a restart loads the last checkpoint and replays what
came after it, half a second of work at most.

The store is SQLite in WAL mode, one transaction per entry. `synchronous=NORMAL` (the
default) keeps every committed entry through a crash of the process; `full` also through
a crash of the machine, at the cost of a disk flush per entry.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

FILE = "journal.sqlite3"
CHECKPOINT_ENTRIES = 20_000
CHECKPOINT_S = 300.0
CHECKPOINT_WORK_S = 0.5  # CPU seconds of work since the last checkpoint: what a restart replays


class Entry(NamedTuple):
    seq: int
    kind: str
    wall: int  # the wall-clock ms it was handled at
    tl: int  # where the timeline stood when it came
    data: bytes | None


class Journal:
    def __init__(self, directory: str | Path, sync: str = "normal") -> None:
        if sync not in ("normal", "full"):
            raise ValueError('sync must be "normal" or "full"')
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.directory / FILE, isolation_level=None,
                                  check_same_thread=False)  # fmt: skip
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={sync.upper()}")
        self.db.executescript("""
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS entries (
                seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, wall INTEGER NOT NULL,
                tl INTEGER NOT NULL, data BLOB);
            CREATE TABLE IF NOT EXISTS checkpoints (
                seq INTEGER PRIMARY KEY, wall INTEGER NOT NULL, state BLOB NOT NULL);
        """)  # fmt: skip
        last = self.db.execute("SELECT max(seq) FROM entries").fetchone()[0]
        checkpoint = self.db.execute("SELECT max(seq) FROM checkpoints").fetchone()[0]
        self.seq = max(last or 0, checkpoint or 0)  # the last entry written
        self.since_checkpoint = 0

    # -- what the server was started with --------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- entries and checkpoints -----------------------------------------------------------

    def append(self, kind: str, wall: int, tl: int, data: bytes | None = None) -> int:
        """Write an entry (committed when this returns); its sequence number."""
        self.seq += 1
        self.db.execute("INSERT INTO entries (seq, kind, wall, tl, data) VALUES (?, ?, ?, ?, ?)",
                        (self.seq, kind, wall, tl, data))  # fmt: skip
        self.since_checkpoint += 1
        return self.seq

    def checkpoint(self, wall: int, state: bytes) -> None:
        """The state after entry `seq`: written, and what it makes unneeded dropped (the
        entries and checkpoints before the previous checkpoint, which is kept in case)."""
        db = self.db
        db.execute("BEGIN")
        try:
            db.execute("INSERT OR REPLACE INTO checkpoints (seq, wall, state) VALUES (?, ?, ?)",
                       (self.seq, wall, state))  # fmt: skip
            previous = db.execute("SELECT max(seq) FROM checkpoints WHERE seq < ?",
                                  (self.seq,)).fetchone()[0]  # fmt: skip
            if previous is not None:
                db.execute("DELETE FROM checkpoints WHERE seq < ?", (previous,))
                db.execute("DELETE FROM entries WHERE seq <= ?", (previous,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.since_checkpoint = 0

    def latest_checkpoint(self) -> tuple[int, int, bytes] | None:
        """(seq, wall, state) of the last checkpoint, or None."""
        row = self.db.execute(
            "SELECT seq, wall, state FROM checkpoints ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def entries_after(self, seq: int) -> Iterator[Entry]:
        cursor = self.db.execute(
            "SELECT seq, kind, wall, tl, data FROM entries WHERE seq > ? ORDER BY seq", (seq,)
        )
        for row in cursor:
            yield Entry(*row)

    def close(self) -> None:
        self.db.close()
