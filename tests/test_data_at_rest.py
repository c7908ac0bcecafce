"""Data at rest: the SQLite database, its -wal and -shm files and the spool are the owner's
only, whatever the umask (the cases, callers' names, phones and words are in them)."""

from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy import text

from ivr.store.engine import make_engine
from ivr.store.spool import Spool


def mode_of(path) -> int:
    """A file's permission bits."""
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    """The usual umask of a shell (022), under which files come out world-readable."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def write_something(url: str) -> None:
    """Connect, create a table and write a row (WAL: the -wal and -shm files appear)."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        with engine.connect() as conn:  # -wal and -shm exist while a connection is open
            conn.execute(text("SELECT count(*) FROM t")).scalar_one()
            files = {suffix: mode_of(f"{url[len('sqlite:///'):]}{suffix}")
                     for suffix in ("", "-wal", "-shm")}
    finally:
        engine.dispose()
    assert files == {"": 0o600, "-wal": 0o600, "-shm": 0o600}


def test_new_sqlite_database_is_private(tmp_path, open_umask):
    """The finding of issue 13: the database file was created readable by every local user.
    Now the file (and the WAL files SQLite derives from it) is 0600, its new folder 0700."""
    path = tmp_path / "instance" / "ivr.sqlite3"
    write_something(f"sqlite:///{path}")
    assert mode_of(path.parent) == 0o700


def test_world_readable_database_left_by_an_older_version_is_closed(tmp_path, open_umask):
    """A database file others can read loses that access on the next connection."""
    path = tmp_path / "ivr.sqlite3"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()
    assert mode_of(path) & 0o007 == 0
    assert mode_of(path) & 0o600 == 0o600


def test_deleted_database_file_comes_back_private(tmp_path, open_umask):
    """When the file is deleted under a running app the pool reconnects: the new file is
    private too."""
    path = tmp_path / "ivr.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        for name in (path, f"{path}-wal", f"{path}-shm"):
            if os.path.exists(name):
                os.unlink(name)
        with engine.connect() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
    finally:
        engine.dispose()
    assert mode_of(path) == 0o600


def test_unreachable_database_folder_is_still_a_database_error(tmp_path):
    """A file that cannot be created is SQLite's error to report (the line answers without
    the database), not an OSError from creating it first."""
    from sqlalchemy.exc import OperationalError

    engine = make_engine(f"sqlite:///{tmp_path / 'gone' / 'ivr.sqlite3'}")  # makes the folder
    os.rmdir(tmp_path / "gone")
    try:
        with pytest.raises(OperationalError), engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def test_spool_directory_and_files_are_private(tmp_path, open_umask):
    """What callers said while the database was down: folder 0700, files 0600."""
    spool = Spool(tmp_path / "spool")
    spool.append({"kind": "report", "CallSid": "CA1", "SpeechResult": "Ana Prueba"})
    assert mode_of(tmp_path / "spool") == 0o700
    files = list((tmp_path / "spool").iterdir())
    assert len(files) == 1 and mode_of(files[0]) == 0o600
    claimed = spool.claim()
    assert [mode_of(p) for p in claimed] == [0o600]
