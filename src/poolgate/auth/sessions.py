"""``Session`` handles and the SRP ``SECRET_BLOCK``: how a caller points back at server-side state.

- A ``Session`` string is a random handle (64 URL-safe characters, 384 bits). Only its SHA-256
  is stored (``StoredAuthSession.id``), so a database dump cannot be used to answer a challenge.
  The state behind it (``AuthSession``) is a JSON document the store encrypts at rest.
- A ``SECRET_BLOCK`` is ``Base64(nonce || AES-GCM(key, nonce, version || issued_at ||
  random || session id))`` under a master-key subkey. It names the stored session, so a
  PASSWORD_VERIFIER answer without ``Session`` (pycognito sends none) still finds its SRP
  state (srp.md section 6.4); its random part makes the signed message fresh.

Single use, expiry and binding to pool, client and challenge are checked here, against the
stored row, so every process sharing the database enforces them alike. A call finds its session
in its read phase (no lock) and takes it again with :meth:`Sessions.lock` in its write phase:
the session may have been spent by a concurrent answer in between.

The stored state never holds ClientMetadata; for CUSTOM_AUTH it holds the ``session`` array
and the private challenge parameters (encrypted at rest with the rest of the state).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import struct
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from poolgate.auth import messages
from poolgate.auth.state import AuthFlow, AuthSession, ChallengeName, CustomState, RequestMetadata, SrpState
from poolgate.errors import InvalidParameterException, NotAuthorizedException
from poolgate.pools.clients import DEFAULT_AUTH_SESSION_VALIDITY
from poolgate.pools.model import AppClient
from poolgate.security.crypto import MasterKey
from poolgate.store.base import StoredAuthSession, UnitOfWork
from poolgate.triggers.api import ChallengeResult

HANDLE_BYTES: Final = 48
"""Random bytes in a ``Session`` handle (64 characters once Base64url-encoded)."""

_BLOCK_VERSION: Final = 1
_BLOCK_AAD: Final = b"poolgate SECRET_BLOCK v1"
_NONCE_BYTES: Final = 12
_RANDOM_BYTES: Final = 16
_ID_BYTES: Final = 32  # a SHA-256
_PLAIN: Final = struct.Struct(f">Bd{_RANDOM_BYTES}s{_ID_BYTES}s")
_STATE_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class LoadedSession:
    """A stored session found by handle or SECRET_BLOCK: its stored id and its state."""

    id: str
    session: AuthSession


@dataclass(frozen=True, slots=True)
class IssuedSession:
    """A newly stored session: the handle for the caller and, when asked for, its SECRET_BLOCK."""

    id: str
    handle: str
    session: AuthSession
    secret_block: str | None = None


def session_validity_seconds(client: AppClient) -> float:
    """The client's ``AuthSessionValidity`` (3 to 15 minutes, default 3) in seconds."""
    minutes = client.config.get("AuthSessionValidity") or DEFAULT_AUTH_SESSION_VALIDITY
    return float(minutes) * 60.0


def stored_id(handle: str) -> str:
    """The id under which the session behind ``handle`` is stored."""
    return hashlib.sha256(handle.encode("utf-8")).hexdigest()


class Sessions:
    """Issues, finds, checks and spends auth sessions in a unit of work."""

    def __init__(self, master_key: MasterKey) -> None:
        self._aead = AESGCM(master_key.derive("auth: SECRET_BLOCK"))

    # -- issuing -------------------------------------------------------------------------------

    def issue(
        self,
        uow: UnitOfWork,
        session: AuthSession,
        *,
        client: AppClient,
        now: float,
        challenge: ChallengeName,
        secret_block: bool = False,
    ) -> IssuedSession:
        """Store ``session`` as waiting for ``challenge`` for the client's AuthSessionValidity and
        return a fresh handle (and a SECRET_BLOCK naming it, for PASSWORD_VERIFIER)."""
        handle = secrets.token_urlsafe(HANDLE_BYTES)
        sid = stored_id(handle)
        pending = replace(
            session,
            challenge=challenge,
            issued_at=now,
            expires_at=now + session_validity_seconds(client),
            attempts=0,
        )
        uow.auth_sessions.add(_to_stored(sid, pending))
        block = self._seal(sid, now) if secret_block else None
        return IssuedSession(sid, handle, pending, block)

    # -- finding -------------------------------------------------------------------------------

    def find(self, uow: UnitOfWork, handle: str) -> LoadedSession:
        """The session behind a ``Session`` handle (not locked); raises NotAuthorizedException
        ``Invalid session for the user.`` when there is none."""
        return self._load(uow, stored_id(handle), lock=False)

    def find_by_secret_block(self, uow: UnitOfWork, block: str) -> LoadedSession:
        """The session a ``PASSWORD_CLAIM_SECRET_BLOCK`` names (not locked); raises
        NotAuthorizedException ``Invalid session for the user.`` when it is not ours or its
        session is gone."""
        return self._load(uow, self.session_of_block(block), lock=False)

    def find_stored(self, uow: UnitOfWork, sid: str) -> LoadedSession:
        """The session stored under ``sid`` (not locked), for a step that records where its
        session is (device SRP answered without ``Session``); raises NotAuthorizedException
        ``Invalid session for the user.`` when there is none."""
        return self._load(uow, sid, lock=False)

    def lock(self, uow: UnitOfWork, loaded: LoadedSession) -> LoadedSession:
        """The session found earlier, read again and locked for this write transaction; raises
        NotAuthorizedException ``Invalid session for the user.`` when it was spent (or replaced)
        since."""
        current = self._load(uow, loaded.id, lock=True)
        if current.session.challenge is not loaded.session.challenge:
            raise NotAuthorizedException(messages.INVALID_SESSION)
        return current

    def session_of_block(self, block: str) -> str:
        """The stored id a SECRET_BLOCK names; NotAuthorizedException if it was not made here."""
        try:
            raw = base64.b64decode(block.encode("ascii"), validate=True)
            nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
            plain = self._aead.decrypt(nonce, sealed, _BLOCK_AAD)
            version, _issued_at, _random, sid = _PLAIN.unpack(plain)
        except (binascii.Error, UnicodeEncodeError, InvalidTag, ValueError, struct.error):
            raise NotAuthorizedException(messages.INVALID_SESSION) from None
        if version != _BLOCK_VERSION:
            raise NotAuthorizedException(messages.INVALID_SESSION)
        return bytes(sid).hex()

    def _load(self, uow: UnitOfWork, sid: str, *, lock: bool) -> LoadedSession:
        stored = uow.auth_sessions.get(sid, for_update=lock)
        if stored is None:
            raise NotAuthorizedException(messages.INVALID_SESSION)
        return LoadedSession(sid, _from_stored(stored))

    # -- checking and spending -----------------------------------------------------------------

    @staticmethod
    def check_usable(
        loaded: LoadedSession, *, pool_id: str, client_id: str, challenge: ChallengeName, now: float
    ) -> None:
        """Raise unless the session belongs to this pool and client, is unexpired and waits for
        ``challenge``: NotAuthorizedException (``Invalid session for the user.`` or ``...,
        session is expired.``) or InvalidParameterException for another challenge name."""
        session = loaded.session
        if session.user_pool_id != pool_id or session.client_id != client_id:
            raise NotAuthorizedException(messages.INVALID_SESSION)
        if now >= session.expires_at:
            raise NotAuthorizedException(messages.SESSION_EXPIRED)
        if session.challenge is not challenge:
            raise InvalidParameterException(messages.INVALID_CHALLENGE_NAME)

    @staticmethod
    def spend(uow: UnitOfWork, loaded: LoadedSession) -> None:
        """Delete the session: its handle and SECRET_BLOCK stop working."""
        uow.auth_sessions.delete(loaded.id)

    # -- SECRET_BLOCK --------------------------------------------------------------------------

    def _seal(self, sid: str, now: float) -> str:
        plain = _PLAIN.pack(_BLOCK_VERSION, now, os.urandom(_RANDOM_BYTES), bytes.fromhex(sid))
        nonce = os.urandom(_NONCE_BYTES)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, plain, _BLOCK_AAD)).decode("ascii")


# -- (de)serialisation ---------------------------------------------------------------------------


def _to_stored(sid: str, session: AuthSession) -> StoredAuthSession:
    if session.challenge is None:
        raise ValueError("a stored auth session must wait for a challenge")
    state: dict[str, Any] = {
        "v": _STATE_VERSION,
        "username": session.username,
        "flow": session.flow.value,
        "admin": session.admin,
        "steps": [step.value for step in session.steps],
        "auth_time": session.auth_time,
        "device_key": session.device_key,
        "device_remembered": session.device_remembered,
        "metadata": session.metadata.to_state(),
        "srp": None if session.srp is None else _srp_to_state(session.srp),
        "custom": None if session.custom is None else _custom_to_state(session.custom),
        "risk_event": session.risk_event,
        "risk_mfa": session.risk_mfa,
        "risk_compromised": session.risk_compromised,
    }
    return StoredAuthSession(
        id=sid,
        user_pool_id=session.user_pool_id,
        client_id=session.client_id,
        sub=session.sub,
        challenge=session.challenge.value,
        state=state,
        attempts=session.attempts,
        created_at=session.issued_at,
        expires_at=session.expires_at,
    )


def _from_stored(stored: StoredAuthSession) -> AuthSession:
    state = stored.state
    if state.get("v") != _STATE_VERSION:
        raise NotAuthorizedException(messages.INVALID_SESSION)
    srp = state.get("srp")
    custom = state.get("custom")
    return AuthSession(
        user_pool_id=stored.user_pool_id,
        client_id=stored.client_id,
        sub=stored.sub,
        username=str(state["username"]),
        flow=AuthFlow(state["flow"]),
        challenge=ChallengeName(stored.challenge),
        issued_at=stored.created_at,
        expires_at=stored.expires_at,
        admin=bool(state.get("admin")),
        steps=tuple(ChallengeName(step) for step in state.get("steps") or ()),
        auth_time=state.get("auth_time"),
        attempts=stored.attempts,
        srp=None if srp is None else _srp_from_state(srp),
        device_key=state.get("device_key"),
        device_remembered=bool(state.get("device_remembered")),
        metadata=RequestMetadata.from_state(state.get("metadata") or {}),
        custom=None if custom is None else _custom_from_state(custom),
        risk_event=state.get("risk_event"),
        risk_mfa=state.get("risk_mfa"),
        risk_compromised=bool(state.get("risk_compromised")),
    )


def _srp_to_state(srp: SrpState) -> dict[str, Any]:
    return {"b": format(srp.b, "x"), "B": srp.B_hex, "A": srp.A_hex, "simulated_v": srp.simulated_verifier}


def _srp_from_state(state: Mapping[str, Any]) -> SrpState:
    return SrpState(
        b=int(state["b"], 16),
        B_hex=str(state["B"]),
        A_hex=str(state["A"]),
        simulated_verifier=state.get("simulated_v"),
    )


def _custom_to_state(custom: CustomState) -> dict[str, Any]:
    return {
        "typed": custom.typed_username,
        "history": [
            [entry.challenge_name, entry.challenge_result, entry.challenge_metadata]
            for entry in custom.history
        ],
        "private": dict(custom.private_parameters),
        "metadata": custom.challenge_metadata,
    }


def _custom_from_state(state: Mapping[str, Any]) -> CustomState:
    return CustomState(
        typed_username=str(state["typed"]),
        history=tuple(
            ChallengeResult(
                challenge_name=str(name), challenge_result=bool(result), challenge_metadata=metadata
            )
            for name, result, metadata in state.get("history") or ()
        ),
        private_parameters={str(k): str(v) for k, v in (state.get("private") or {}).items()},
        challenge_metadata=state.get("metadata"),
    )
