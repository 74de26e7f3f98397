"""The composition root's service container: one per server process.

``bootstrap`` prepares a database for serving (migrations, master-key check,
first access key); ``build_services`` wires the store, the clock and the core
services together.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from poolgate.auth.mfa_setup import MfaSetupSessions
from poolgate.auth.service import AuthService
from poolgate.auth.sessions import Sessions
from poolgate.clock import Clock, OffsetClock, SystemClock
from poolgate.config import AccessKey, Settings
from poolgate.delivery.routing import RoutingSender, build_sender
from poolgate.devices.service import DeviceService
from poolgate.mfa.deps import mfa_deps
from poolgate.mfa.service import MfaService
from poolgate.pools.service import PoolService
from poolgate.private_files import make_private_folder
from poolgate.security.analytics import build_sink
from poolgate.security.crypto import MasterKey, load_or_create_master_key
from poolgate.security.events import StoreAuthEventLog
from poolgate.security.service import ThreatProtection
from poolgate.store.base import StoredAccessKey
from poolgate.store.sql import SqlStore
from poolgate.store.sql.migrate import upgrade
from poolgate.tokens.discovery import issuer_base, issuer_for, jwks_uri_for
from poolgate.tokens.service import TokenService
from poolgate.triggers.api import Triggers
from poolgate.triggers.build import build_triggers
from poolgate.users.admin import AdminUserService
from poolgate.users.codes import HmacCodeHasher
from poolgate.users.common import UserDeps
from poolgate.users.groups import GroupService
from poolgate.users.recovery import RecoveryService
from poolgate.users.self_service import SelfService
from poolgate.users.signup import SignUpService
from poolgate.users.simulated import Simulation


@dataclass(frozen=True, slots=True)
class Services:
    """Everything a handler may reach, built once per process."""

    settings: Settings
    store: SqlStore
    clock: Clock
    master_key: MasterKey
    sender: RoutingSender
    tokens: TokenService
    triggers: Triggers
    auth: AuthService
    pools: PoolService
    groups: GroupService
    admin_users: AdminUserService
    sign_up: SignUpService
    recovery: RecoveryService
    self_service: SelfService
    threat: ThreatProtection
    devices: DeviceService
    mfa: MfaService

    def lookup_secret(self, access_key_id: str) -> str | None:
        """The secret of an active access key: configured keys first, then the database."""
        for key in self.settings.access_keys:
            if key.access_key_id == access_key_id:
                return key.secret_access_key
        with self.store.transaction() as uow:
            stored = uow.access_keys.get(access_key_id)
        return stored.secret_access_key if stored else None

    def close(self) -> None:
        close_triggers = getattr(self.triggers, "close", None)
        if callable(close_triggers):
            close_triggers()
        self.sender.close()
        self.threat.sink.close()
        self.store.close()


def build_services(settings: Settings, *, migrate: bool = True) -> Services:
    """Open the store and wire the services; raises WrongMasterKeyError on a key mismatch."""
    master_key = load_or_create_master_key(settings)
    url = settings.effective_database_url
    if settings.is_sqlite:
        make_private_folder(settings.data_dir)
    if migrate:
        upgrade(url)
    store = SqlStore(url, master_key)
    try:
        store.check_master_key()
    except Exception:
        store.close()
        raise
    clock: Clock = OffsetClock(store) if settings.testing else SystemClock()
    sender = build_sender(settings, store, clock=clock)
    triggers: Triggers = build_triggers(settings)
    # Auth events live in the auth_events table, shared by every worker.
    threat = ThreatProtection(
        store,
        clock,
        StoreAuthEventLog(store),
        build_sink(settings.data_dir, settings.analytics_webhook_url),
        master_key.derive("auth event feedback tokens"),
        sender=sender,
        retention_seconds=settings.auth_event_retention_days * 86400,
        base_url=issuer_base(settings),
    )
    deps = UserDeps(
        store,
        clock,
        HmacCodeHasher(master_key.derive("one-time codes")),
        sender,
        triggers,
        screen=threat.screen_password,
        on_sign_up=threat.after_sign_up,
        simulation=Simulation(master_key.derive("users: simulated deliveries")),
    )
    tokens = TokenService(
        clock, issuer=issuer_for(settings), jwks_uri=jwks_uri_for(settings), triggers=triggers
    )
    mfa = mfa_deps(master_key, sender)
    return Services(
        settings=settings,
        store=store,
        clock=clock,
        master_key=master_key,
        sender=sender,
        tokens=tokens,
        triggers=triggers,
        auth=AuthService(
            store, clock, tokens, master_key, triggers=triggers, mfa=mfa, threat=threat, snapshots=store
        ),
        pools=PoolService(
            store, clock, region=settings.region, account_id=settings.account_id, on_create=tokens.ensure_keys
        ),
        groups=GroupService(store, clock),
        admin_users=AdminUserService(deps, tokens),
        sign_up=SignUpService(deps),
        recovery=RecoveryService(deps),
        self_service=SelfService(deps, tokens),
        threat=threat,
        devices=DeviceService(store, clock, tokens),
        mfa=MfaService(store, clock, mfa, tokens, MfaSetupSessions(store, clock, mfa, Sessions(master_key))),
    )


def generate_access_key() -> AccessKey:
    """A new key pair in AWS's formats: AKIA + 16 of [A-Z2-7], and a 40-character secret."""
    akid = "AKIA" + "".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(16))
    alphabet = string.ascii_letters + string.digits + "+/"
    secret = "".join(secrets.choice(alphabet) for _ in range(40))
    return AccessKey(akid, secret)


def ensure_access_key(services: Services) -> AccessKey | None:
    """With no keys configured or stored, generate one and store it; return it (else None)."""
    if services.settings.access_keys:
        return None
    with services.store.transaction() as uow:
        if uow.access_keys.list():
            return None
        key = generate_access_key()
        uow.access_keys.add(
            StoredAccessKey(
                key.access_key_id, key.secret_access_key, services.clock.now(), "generated at first start"
            )
        )
    return key
