"""The offline breached-password list."""

from __future__ import annotations

from poolgate.security.breached import BreachedPasswords, default_list


def test_zxcvbn_list_is_loaded_once_and_matches_common_passwords() -> None:
    breached = default_list()
    assert len(breached) > 20_000
    assert breached.is_breached("password")
    assert breached.is_breached("Dragon")  # the list is case-folded
    assert not breached.is_breached("correct-Horse-battery-9-staple")


def test_explicit_word_list() -> None:
    breached = BreachedPasswords(["hunter2"])
    assert breached.is_breached("hunter2")
    assert breached.is_breached("HUNTER2")
    assert not breached.is_breached("hunter3")
