"""Passwords: the pool's password policy and temporary-password generation.

Core package: imports only ``poolgate.errors``. SRP verifiers live in ``poolgate.srp``;
the password-history comparison needs them and so lives in the user service.
"""

from __future__ import annotations

from poolgate.passwords.policy import (
    SYMBOLS,
    check_password,
    generate_temporary_password,
    message_prefix,
)

__all__ = ["SYMBOLS", "check_password", "generate_temporary_password", "message_prefix"]
