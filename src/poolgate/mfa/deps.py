"""What MFA needs besides the store and the clock, wired once by the composition root
(``services.build_services``) and shared by the MFA operations and the sign-in engine."""

from __future__ import annotations

from dataclasses import dataclass

from poolgate.delivery import TransactionalSender
from poolgate.mfa.seeds import KEY_PURPOSE, SeedBox
from poolgate.security.crypto import MasterKey
from poolgate.users.codes import CodeHasher, HmacCodeHasher

CODES_KEY_PURPOSE = "one-time codes"
"""The ``MasterKey.derive`` purpose of the code hasher, shared with the user services."""


@dataclass(frozen=True, slots=True)
class MfaDeps:
    """``seeds`` seals TOTP secrets, ``hasher`` hashes SMS and e-mail codes, ``sender`` records
    their messages in the outbox (``send_in``) and delivers them after the commit."""

    seeds: SeedBox
    hasher: CodeHasher
    sender: TransactionalSender


def mfa_deps(master_key: MasterKey, sender: TransactionalSender) -> MfaDeps:
    """The production wiring: both keys derived from the server's master key."""
    return MfaDeps(
        seeds=SeedBox(master_key.derive(KEY_PURPOSE)),
        hasher=HmacCodeHasher(master_key.derive(CODES_KEY_PURPOSE)),
        sender=sender,
    )
