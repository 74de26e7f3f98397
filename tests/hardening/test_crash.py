"""``kill -9`` at random moments under write load loses nothing acknowledged (issue 9, item 14).

The server is killed with SIGKILL a random 0.2-1.5 s after it is ready, while threads sign
users up and change passwords with AdminSetUserPassword, then restarted, over and over. Every
SignUp answered 200 must exist afterwards, and every user's password must be the last one
acknowledged (or the one whose answer the kill swallowed). On SQLite, ``PRAGMA
integrity_check`` must say ok at the end.

Each backend runs ``POOLGATE_STRESS_SECONDS`` (default 20, scaled down from the issue's 60 to
keep the default suite within budget on 2 cores; set 60 for the full run).
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError
from tests import pg
from tests.conformance.auth_support import FLOWS, PASSWORD
from tests.hardening.load_support import figure
from tests.server import ServerProcess, start_server

from poolgate.security.crypto import MasterKey

pytestmark = [pytest.mark.slow, pytest.mark.stress]

SECONDS = float(os.environ.get("POOLGATE_STRESS_SECONDS", "20"))
PASSWORD_USERS = 4


@dataclass
class Ledger:
    """What the server acknowledged, and what was in flight when it died."""

    signed_up: set[str] = field(default_factory=set)
    acked_password: dict[str, str] = field(default_factory=dict)
    pending_password: dict[str, str | None] = field(default_factory=dict)
    calls: int = 0
    failures_while_dying: int = 0
    other_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def _database(backend: str, tmp_path: Path) -> Iterator[str | None]:
    if backend == "sqlite":
        yield None
    else:
        with pg.fresh_schema() as url:
            yield url


def _signups(
    server: ServerProcess, client_id: str, ledger: Ledger, stop: threading.Event, names: Any
) -> None:
    cognito = server.client(connect_timeout=2, read_timeout=10)
    while not stop.is_set():
        username = next(names)
        try:
            cognito.sign_up(ClientId=client_id, Username=username, Password=PASSWORD)
        except ClientError as exc:
            with ledger.lock:
                ledger.other_errors.append(f"SignUp {exc.response['Error']['Code']}")
            continue
        except BotoCoreError:
            with ledger.lock:
                ledger.failures_while_dying += 1
            return
        with ledger.lock:
            ledger.signed_up.add(username)
            ledger.calls += 1


def _password_changes(
    server: ServerProcess, pool_id: str, users: list[str], ledger: Ledger, stop: threading.Event, counter: Any
) -> None:
    cognito = server.client(connect_timeout=2, read_timeout=10)
    for username in itertools.cycle(users):
        if stop.is_set():
            return
        new = f"Pw!{next(counter):06d}aA"
        with ledger.lock:
            ledger.pending_password[username] = new
        try:
            cognito.admin_set_user_password(
                UserPoolId=pool_id, Username=username, Password=new, Permanent=True
            )
        except ClientError as exc:
            with ledger.lock:
                error = exc.response["Error"]
                ledger.other_errors.append(f"AdminSetUserPassword {error['Code']}: {error['Message']}")
                ledger.pending_password[username] = None
            continue
        except BotoCoreError:
            with ledger.lock:
                ledger.failures_while_dying += 1
            return
        with ledger.lock:
            ledger.acked_password[username] = new
            ledger.pending_password[username] = None
            ledger.calls += 1


def _password_works(cognito: Any, pool_id: str, client_id: str, username: str, password: str) -> bool:
    try:
        cognito.admin_initiate_auth(
            UserPoolId=pool_id,
            ClientId=client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NotAuthorizedException":
            return False
        raise
    return True


def _check_passwords(cognito: Any, pool_id: str, client_id: str, ledger: Ledger) -> list[str]:
    """Users whose password is neither the last acknowledged one nor the one in flight."""
    lost = []
    for username, acked in ledger.acked_password.items():
        pending = ledger.pending_password.get(username)
        candidates = [p for p in (pending, acked) if p]
        if not any(_password_works(cognito, pool_id, client_id, username, p) for p in candidates):
            lost.append(username)
        else:
            # Whichever worked is now the password; a later check must accept either still.
            ledger.pending_password[username] = None
            if pending and _password_works(cognito, pool_id, client_id, username, pending):
                ledger.acked_password[username] = pending
    return lost


def _all_usernames(cognito: Any, pool_id: str) -> set[str]:
    names: set[str] = set()
    for page in cognito.get_paginator("list_users").paginate(UserPoolId=pool_id):
        names.update(u["Username"] for u in page["Users"])
    return names


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_kill_9_loses_no_acknowledged_write(backend: str, tmp_path: Path) -> None:
    env = {"POOLGATE_MASTER_KEY": MasterKey.generate().to_text()}
    data = tmp_path / "data"
    ledger = Ledger()
    names = (f"user{i}" for i in itertools.count())
    counter = itertools.count()
    rng = random.Random(9)
    kills = 0
    lost_passwords: list[str] = []
    with _database(backend, tmp_path) as url:
        server = start_server(data, database_url=url, env=env)
        try:
            cognito = server.client()
            pool_id = cognito.create_user_pool(PoolName="crash")["UserPool"]["Id"]
            client_id = cognito.create_user_pool_client(
                UserPoolId=pool_id, ClientName="c", ExplicitAuthFlows=FLOWS
            )["UserPoolClient"]["ClientId"]
            users = [f"pw{i}" for i in range(PASSWORD_USERS)]
            for username in users:
                cognito.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")
                cognito.admin_set_user_password(
                    UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
                )
                ledger.acked_password[username] = PASSWORD
        finally:
            server.stop()

        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            server = start_server(data, database_url=url, env=env)
            stop = threading.Event()
            threads = [
                threading.Thread(target=_signups, args=(server, client_id, ledger, stop, names))
                for _ in range(3)
            ]
            threads += [
                threading.Thread(
                    target=_password_changes, args=(server, pool_id, users[i::2], ledger, stop, counter)
                )
                for i in range(2)
            ]
            # Check the passwords left by the previous kill before the new load starts.
            lost_passwords += _check_passwords(server.client(), pool_id, client_id, ledger)
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.2, 1.5))
            server.stop(signal.SIGKILL)
            kills += 1
            stop.set()
            for t in threads:
                t.join()

        server = start_server(data, database_url=url, env=env)
        try:
            cognito = server.client()
            lost_passwords += _check_passwords(cognito, pool_id, client_id, ledger)
            present = _all_usernames(cognito, pool_id)
        finally:
            server.stop()
    lost_signups = ledger.signed_up - present
    integrity = "n/a"
    if backend == "sqlite":
        with sqlite3.connect(data / "poolgate.sqlite3") as db:
            integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    figure(
        f"item 14: kill -9 under sign-up and password-change load, {backend}, {SECONDS:.0f} s",
        {
            "kills": kills,
            "acknowledged sign-ups": len(ledger.signed_up),
            "acknowledged writes in all": ledger.calls,
            "acknowledged sign-ups lost": len(lost_signups),
            "password changes lost": len(lost_passwords),
            "calls cut off by a kill": ledger.failures_while_dying,
            **{f"error {k}": v for k, v in Counter(ledger.other_errors).items()},
            "integrity_check": integrity,
        },
    )
    assert kills >= 3
    assert ledger.signed_up
    assert lost_signups == set()
    assert lost_passwords == []
    assert integrity in ("ok", "n/a")
    assert ledger.other_errors == []
