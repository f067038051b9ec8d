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
timeline stood. A checkpoint (the venue's whole state, pickled, as a snapshot) is taken once
the work journaled since the last one would take `CHECKPOINT_WORK_S` of CPU to replay (or
after `CHECKPOINT_ENTRIES` entries, or `CHECKPOINT_S` seconds). Pickling a day's state takes
most of a second, so the server forks: the child process pickles the state as it was at
the fork and writes it to `checkpoints/<seq>.pickle` while the server goes on; once the file
is complete the server registers it, and the entries before the previous checkpoint are
dropped. A restart loads the last registered checkpoint and replays what came after it.

The store is SQLite in WAL mode, one transaction per entry. `synchronous=NORMAL` (the
default) keeps every committed entry through a crash of the process; `full` also through
a crash of the machine, at the cost of a disk flush per entry (and one per checkpoint
file).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

FILE = "journal.sqlite3"
CHECKPOINT_ENTRIES = 20_000
CHECKPOINT_S = 300.0
CHECKPOINT_WORK_S = 0.25  # CPU seconds of work since the last checkpoint: what a restart replays


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
        self.sync = sync
        self.files = self.directory / "checkpoints"
        self.files.mkdir(parents=True, exist_ok=True)
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
                seq INTEGER PRIMARY KEY, wall INTEGER NOT NULL, file TEXT NOT NULL);
        """)  # fmt: skip
        last = self.db.execute("SELECT max(seq) FROM entries").fetchone()[0]
        checkpoint = self.db.execute("SELECT max(seq) FROM checkpoints").fetchone()[0]
        self.seq = max(last or 0, checkpoint or 0)  # the last entry written
        self.since_checkpoint = 0
        # files no registered checkpoint names: a checkpoint cut off before it was registered
        named = {row[0] for row in self.db.execute("SELECT file FROM checkpoints")}
        for path in self.files.iterdir():
            if path.name not in named:
                path.unlink(missing_ok=True)

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
        """The state after the last entry, written and registered."""
        self.write_checkpoint(self.seq, state)
        self.register(self.seq, wall)

    def write_checkpoint(self, seq: int, state: bytes) -> None:
        """The state after entry `seq`, to its file (complete, or not there at all). Safe
        in a forked child: it touches no connection."""
        path = self.files / f"{seq:012d}.pickle"
        part = path.with_suffix(".part")
        with open(part, "wb") as file:
            file.write(state)
            if self.sync == "full":
                file.flush()
                os.fsync(file.fileno())
        os.replace(part, path)

    def written(self, seq: int) -> bool:
        return (self.files / f"{seq:012d}.pickle").exists()

    def register(self, seq: int, wall: int) -> None:
        """The checkpoint file of entry `seq` is complete: it is the one a restart loads,
        and what it makes unneeded goes (the entries and checkpoints before the previous
        checkpoint, which is kept in case)."""
        db = self.db
        gone: list[str] = []
        db.execute("BEGIN")
        try:
            db.execute("INSERT OR REPLACE INTO checkpoints (seq, wall, file) VALUES (?, ?, ?)",
                       (seq, wall, f"{seq:012d}.pickle"))  # fmt: skip
            previous = db.execute("SELECT max(seq) FROM checkpoints WHERE seq < ?",
                                  (seq,)).fetchone()[0]  # fmt: skip
            if previous is not None:
                gone = [row[0] for row in db.execute(
                    "SELECT file FROM checkpoints WHERE seq < ?", (previous,))]  # fmt: skip
                db.execute("DELETE FROM checkpoints WHERE seq < ?", (previous,))
                db.execute("DELETE FROM entries WHERE seq <= ?", (previous,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        for name in gone:
            (self.files / name).unlink(missing_ok=True)
        self.since_checkpoint = self.seq - seq

    def latest_checkpoint(self) -> tuple[int, int, bytes] | None:
        """(seq, wall, state) of the last checkpoint whose file can be read, or None."""
        rows = self.db.execute("SELECT seq, wall, file FROM checkpoints ORDER BY seq DESC")
        for seq, wall, name in rows.fetchall():
            try:
                return seq, wall, (self.files / name).read_bytes()
            except OSError:
                continue
        return None

    def entries_after(self, seq: int) -> Iterator[Entry]:
        cursor = self.db.execute(
            "SELECT seq, kind, wall, tl, data FROM entries WHERE seq > ? ORDER BY seq", (seq,)
        )
        for row in cursor:
            yield Entry(*row)

    def close(self) -> None:
        self.db.close()
