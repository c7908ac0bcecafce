"""An append-only local spool: what callers said while the database was down, kept for replay.

Each process appends JSON lines to its own file under the spool directory. A replayer claims a
file by renaming it; a writer that opened the old name notices (the inode changed under its
lock) and writes to a fresh file instead, so no line is ever written to a file already read.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

ACTIVE_SUFFIX = ".jsonl"
CLAIMED_SUFFIX = ".replaying"


class Spool:
    """Append and claim spool files in one directory."""

    def __init__(self, directory: str | os.PathLike):
        """Use (and create when needed) this directory."""
        self.directory = Path(directory)

    def _own_file(self) -> Path:
        """This process's spool file."""
        return self.directory / f"spool-{socket.gethostname()}-{os.getpid()}{ACTIVE_SUFFIX}"

    def append(self, record: dict) -> None:
        """Append one record durably (flushed and fsynced: a crash must not lose a report)."""
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)  # callers' words inside
        path = self._own_file()
        for _ in range(5):
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    same = os.fstat(fd).st_ino == os.stat(path).st_ino
                except FileNotFoundError:
                    same = False
                if not same:
                    continue  # claimed by a replayer meanwhile: write to a fresh file
                os.write(fd, line)
                os.fsync(fd)
                return
            finally:
                os.close(fd)
        raise OSError("spool: could not append after 5 tries")

    def pending(self) -> bool:
        """Whether any spool file waits for replay."""
        if not self.directory.is_dir():
            return False
        return any(p.suffix == ACTIVE_SUFFIX or CLAIMED_SUFFIX in p.name
                   for p in self.directory.iterdir())

    def claim(self) -> list[Path]:
        """Rename every active file to a claimed name (plus claimed files left by a crash)."""
        if not self.directory.is_dir():
            return []
        claimed = []
        for path in sorted(self.directory.iterdir()):
            if path.suffix == ACTIVE_SUFFIX:
                target = path.with_name(f"{path.stem}{CLAIMED_SUFFIX}.{os.getpid()}")
                try:
                    os.rename(path, target)
                except FileNotFoundError:
                    continue  # another replayer took it
                claimed.append(target)
            elif CLAIMED_SUFFIX in path.name and _owner_gone(path):
                claimed.append(path)
        return claimed

    @staticmethod
    def records(path: Path) -> Iterator[dict]:
        """The records of a claimed file, after any writer still holding it has finished."""
        with open(path, "rb") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            for raw in handle:
                try:
                    yield json.loads(raw)
                except ValueError:
                    continue  # a torn last line from a crash: nothing usable in it

    @staticmethod
    def done(path: Path) -> None:
        """Remove a file whose records are all in the database."""
        path.unlink(missing_ok=True)


def _owner_gone(path: Path) -> bool:
    """Whether the process that claimed a file is gone (its replay was interrupted)."""
    pid = path.name.rsplit(".", 1)[-1]
    if not pid.isdigit():
        return True
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
