"""Re-sealing TOTP secrets when the master key is rotated (``poolgate master-key rotate``).

TOTP secrets are sealed under a subkey of the master key (``seeds``), which changes with it, and
they live inside ``User.settings``, which the store's generic re-encryption of encrypted columns
does not cover. :func:`reseal_totp_secrets` opens every sealed secret (verified and pending) with
the old subkey and seals it again with the new one. ``store.sql.rotate_master_key`` runs it in
its single rotation transaction, before the columns are re-encrypted, so a failure leaves both
under the old key.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from poolgate.mfa import user_settings
from poolgate.mfa.seeds import KEY_PURPOSE, SeedBox
from poolgate.security.crypto import MasterKey
from poolgate.store.base import UnitOfWork
from poolgate.users.model import User

_PAGE: Final = 200


def reseal_totp_secrets(uow: UnitOfWork, old: MasterKey, new: MasterKey) -> int:
    """Re-seal every user's TOTP secrets from ``old``'s subkey to ``new``'s; return how many
    secrets were re-sealed. Raises ``seeds.SeedError`` for a secret ``old`` cannot open."""
    before, after = SeedBox(old.derive(KEY_PURPOSE)), SeedBox(new.derive(KEY_PURPOSE))
    count = 0
    last_pool: str | None = None
    while pools := uow.pools.list(_PAGE, last_pool):
        for pool in pools:
            last_sub: str | None = None
            while users := uow.users.list(pool.id, limit=_PAGE, after=last_sub):
                for user in users:
                    count += _reseal(uow, user, before, after)
                last_sub = users[-1].sub
        last_pool = pools[-1].id
    return count


def _reseal(uow: UnitOfWork, user: User, before: SeedBox, after: SeedBox) -> int:
    record = user_settings.read(user).totp
    if record.secret is None and record.pending is None:
        return 0

    def again(text: str | None) -> str | None:
        if text is None:
            return None
        return after.seal(user.user_pool_id, user.sub, before.open(user.user_pool_id, user.sub, text))

    resealed = replace(record, secret=again(record.secret), pending=again(record.pending))
    uow.users.update(replace(user, settings=user_settings.with_totp(user.settings, resealed)))
    return (record.secret is not None) + (record.pending is not None)
