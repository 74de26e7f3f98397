"""Folders and files that only Poolgate's own user may read.

The data folder holds the SQLite database (password verifiers, sealed secrets, the outbox),
the master key and the analytics log. Poolgate creates the folder with mode 0700 and its
files with mode 0600, whatever the process umask, by asking for those modes when it creates
them (a umask can only take permissions away). The process umask itself is left alone: it is
shared by every thread, so changing it around one creation would change it for the others.

SQLite's side files (``-wal``, ``-shm``, ``-journal``) need nothing of their own: SQLite gives
each the permissions of its database file when it creates them, so creating the database
file 0600 beforehand is enough.

An existing folder keeps its mode (it may be a folder the operator chose and shares, such as
the current directory); an existing file of ours that others may read is narrowed to 0600.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def make_private_folder(path: Path) -> None:
    """Create ``path`` with mode 0700 if it is missing (parents too, with the default mode)."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)


def make_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it is missing; narrow an existing one to 0600."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        narrow(path)
    else:
        os.close(fd)


def open_private_append(path: Path) -> int:
    """Open ``path`` for appending, creating it with mode 0600; returns the descriptor."""
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)


def narrow(path: Path) -> None:
    """Take group and other permissions off a file this user owns; anything else is left alone."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if not stat.S_ISREG(info.st_mode) or not info.st_mode & 0o077:
        return
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return
    try:
        path.chmod(stat.S_IMODE(info.st_mode) & ~0o077)
    except PermissionError:
        return


def prepare_sqlite_file(database: Path) -> None:
    """Make the folder and the database file private before SQLite first opens it.

    SQLite treats an empty file as a new database; its side files then copy the 0600 mode.
    Side files left by an older version are narrowed as well.
    """
    make_private_folder(database.parent)
    make_private_file(database)
    for suffix in SQLITE_SIDE_FILES:
        narrow(database.with_name(database.name + suffix))
