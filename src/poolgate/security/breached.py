"""Compromised-credential checks against an offline list of breached passwords.

The list is the ``passwords`` frequency list that the ``zxcvbn`` package ships: the 30,000
most common passwords of public breach corpora, lower-cased. It is loaded once, on first use,
into a frozenset of 8-byte SHA-1 prefixes, so the process keeps no plain password after the
load and the set stays small (about 2 MB). A collision of 64-bit prefixes between a real
password and a listed one is negligible.

A password counts as breached when it, or its lower-case form, is on the list [decision: the
list is case-folded, so ``Dragon`` is as guessable as ``dragon``]. Passwords are never logged
and never kept: callers pass them in and get a bool back.
"""

from __future__ import annotations

import hashlib
import importlib
import threading
from collections.abc import Iterable

_PREFIX_BYTES = 8


def _digest(password: str) -> bytes:
    return hashlib.sha1(password.encode("utf-8"), usedforsecurity=False).digest()[:_PREFIX_BYTES]


class BreachedPasswords:
    """A set of breached passwords, held as SHA-1 prefixes.

    ``words`` supplies the list (for tests); by default it is read lazily from zxcvbn.
    """

    def __init__(self, words: Iterable[str] | None = None) -> None:
        self._lock = threading.Lock()
        self._digests: frozenset[bytes] | None = None
        if words is not None:
            self._digests = frozenset(_digest(w) for w in words)

    def _load(self) -> frozenset[bytes]:
        with self._lock:
            if self._digests is None:
                module = importlib.import_module("zxcvbn.frequency_lists")
                words = module.FREQUENCY_LISTS["passwords"]
                self._digests = frozenset(_digest(str(w)) for w in words)
            return self._digests

    def __len__(self) -> int:
        return len(self._load())

    def is_breached(self, password: str) -> bool:
        """True when ``password`` (as typed, or lower-cased) is on the breached list."""
        digests = self._digests if self._digests is not None else self._load()
        if _digest(password) in digests:
            return True
        lowered = password.lower()
        return lowered != password and _digest(lowered) in digests


_DEFAULT: BreachedPasswords | None = None


def default_list() -> BreachedPasswords:
    """The process-wide list from zxcvbn (loaded on its first check)."""
    global _DEFAULT  # noqa: PLW0603 - the process-wide list, loaded on first use
    if _DEFAULT is None:
        _DEFAULT = BreachedPasswords()
    return _DEFAULT
