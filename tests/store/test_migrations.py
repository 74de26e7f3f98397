"""Migrations: idempotent, safe under concurrency, and in step with ``tables``."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from poolgate.security.crypto import MasterKey
from poolgate.store.sql import current_revision, head_revision, memory_store, upgrade
from poolgate.store.sql.engine import create_store_engine
from poolgate.store.sql.tables import metadata

TABLES = {
    "meta",
    "access_keys",
    "user_pools",
    "user_pool_clients",
    "outbox",
    "users",
    "user_keys",
    "user_search",
    "groups",
    "group_members",
    "codes",
    "counters",
    "auth_sessions",
    "login_attempts",
    "signing_keys",
    "token_sessions",
    "devices",
    "auth_events",
    "alembic_version",
}


def table_names(url: str) -> set[str]:
    engine = create_store_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            names = set(sa.inspect(conn).get_table_names())
            conn.rollback()
        return names
    finally:
        engine.dispose()


def test_upgrade_creates_schema_and_is_idempotent(db_url: str) -> None:
    assert current_revision(db_url) is None
    upgrade(db_url)
    assert current_revision(db_url) == head_revision() == "0006_auth_event_age"
    assert table_names(db_url) == TABLES
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()


def test_migrated_schema_matches_tables_metadata(migrated_url: str) -> None:
    engine = create_store_engine(migrated_url, pool_size=1)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
            conn.rollback()
    finally:
        engine.dispose()
    assert diff == []


def test_indexes_exist(migrated_url: str) -> None:
    engine = create_store_engine(migrated_url, pool_size=1)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            clients = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("user_pool_clients")}
            outbox = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("outbox")}
            foreign_keys = inspector.get_foreign_keys("user_pool_clients")
            conn.rollback()
    finally:
        engine.dispose()
    assert clients["ix_user_pool_clients_user_pool_id"] == ["user_pool_id"]
    assert outbox["ix_outbox_expires_at"] == ["expires_at"]
    assert foreign_keys[0]["referred_table"] == "user_pools"
    assert foreign_keys[0]["options"].get("ondelete") == "CASCADE"


def test_concurrent_upgrades_from_threads(db_url: str) -> None:
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: upgrade(db_url), range(4)))
    assert current_revision(db_url) == head_revision()
    assert table_names(db_url) == TABLES


def test_concurrent_upgrades_from_processes(db_url: str) -> None:
    code = "import sys; from poolgate.store.sql import upgrade; upgrade(sys.argv[1])"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, db_url], stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    results = [(proc.wait(timeout=120), proc.communicate()[1]) for proc in procs]
    for status, err in results:
        assert status == 0, err
    assert current_revision(db_url) == head_revision()
    assert table_names(db_url) == TABLES


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_folder_is_created(tmp_path: Path, backend: str) -> None:
    url = f"sqlite:///{tmp_path / 'deep' / 'er' / 'db.sqlite3'}"
    upgrade(url)
    assert (tmp_path / "deep" / "er" / "db.sqlite3").exists()
    assert current_revision(url) == head_revision()


def test_memory_store_is_migrated_and_usable() -> None:
    store = memory_store(MasterKey.generate())
    try:
        assert current_revision(store.engine) == head_revision()
        store.check_master_key()
        store.set_clock_offset(5.0)
        assert store.clock_offset() == 5.0
    finally:
        store.close()


def test_upgrade_from_0001_keeps_existing_pools(db_url: str) -> None:
    upgrade(db_url, "0001_initial")
    engine = create_store_engine(db_url, pool_size=1)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO user_pools (id, name, config, created_at, updated_at) "
                    "VALUES ('us-east-1_old', 'old', '{}', 1.0, 1.0)"
                )
            )
    finally:
        engine.dispose()
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()
    from poolgate.store.sql import SqlStore

    with SqlStore(db_url, MasterKey.generate()) as store, store.transaction() as uow:
        assert uow.pools.get("us-east-1_old") is not None
        assert uow.pools.count_users("us-east-1_old") == 0


def test_user_tables_cascade_from_their_parents(migrated_url: str) -> None:
    engine = create_store_engine(migrated_url, pool_size=1)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            found = {
                (table, fk["referred_table"], fk["options"].get("ondelete"))
                for table in ("users", "user_keys", "user_search", "groups", "group_members", "codes")
                for fk in inspector.get_foreign_keys(table)
            }
            indexes = {
                ix["name"]
                for table in ("users", "user_keys", "user_search", "group_members", "codes", "counters")
                for ix in inspector.get_indexes(table)
            }
            conn.rollback()
    finally:
        engine.dispose()
    assert found == {
        ("users", "user_pools", "CASCADE"),
        ("user_keys", "users", "CASCADE"),
        ("user_search", "users", "CASCADE"),
        ("groups", "user_pools", "CASCADE"),
        ("group_members", "groups", "CASCADE"),
        ("group_members", "users", "CASCADE"),
        ("codes", "users", "CASCADE"),
    }
    assert {
        "ix_users_pool_username",
        "ix_users_pool_status",
        "ix_user_keys_pool_sub",
        "ix_user_search_lookup",
        "ix_group_members_pool_sub",
        "ix_codes_expires_at",
        "ix_counters_window_end",
    } <= indexes


def test_upgrade_from_0002_keeps_users_and_adds_the_auth_tables(db_url: str) -> None:
    upgrade(db_url, "0002_users")
    assert "token_sessions" not in table_names(db_url)
    engine = create_store_engine(db_url, pool_size=1)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO user_pools (id, name, config, created_at, updated_at) "
                    "VALUES ('us-east-1_old', 'old', '{}', 1.0, 1.0)"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO users (pool_id, sub, username, status, enabled, attributes, "
                    "created_at, updated_at, settings) VALUES ('us-east-1_old', 'sub-1', 'olduser', "
                    "'CONFIRMED', :yes, '{\"sub\":\"sub-1\"}', 1.0, 1.0, '{}')"
                ),
                {"yes": True},
            )
    finally:
        engine.dispose()
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()
    assert table_names(db_url) == TABLES
    from poolgate.store.base import LoginAttempts
    from poolgate.store.sql import SqlStore

    with SqlStore(db_url, MasterKey.generate()) as store:
        with store.transaction() as uow:
            user = uow.users.get("us-east-1_old", "sub-1")
            assert user is not None and user.username == "olduser"
            uow.login_attempts.save("us-east-1_old", "sub-1", LoginAttempts(1, 5.0))
        with store.transaction() as uow:
            assert uow.login_attempts.get("us-east-1_old", "sub-1") == LoginAttempts(1, 5.0)


def test_auth_and_token_tables_cascade_and_are_indexed(migrated_url: str) -> None:
    new_tables = ("auth_sessions", "login_attempts", "signing_keys", "token_sessions")
    engine = create_store_engine(migrated_url, pool_size=1)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            found = {
                (table, tuple(fk["constrained_columns"]), fk["referred_table"], fk["options"].get("ondelete"))
                for table in new_tables
                for fk in inspector.get_foreign_keys(table)
            }
            indexes = {
                ix["name"]: ix["column_names"] for table in new_tables for ix in inspector.get_indexes(table)
            }
            conn.rollback()
    finally:
        engine.dispose()
    assert found == {
        ("auth_sessions", ("pool_id",), "user_pools", "CASCADE"),
        ("auth_sessions", ("client_id",), "user_pool_clients", "CASCADE"),
        ("login_attempts", ("pool_id", "sub"), "users", "CASCADE"),
        ("signing_keys", ("pool_id",), "user_pools", "CASCADE"),
        ("token_sessions", ("pool_id",), "user_pools", "CASCADE"),
        ("token_sessions", ("client_id",), "user_pool_clients", "CASCADE"),
        ("token_sessions", ("pool_id", "sub"), "users", "CASCADE"),
    }
    assert indexes == {
        "ix_auth_sessions_client_id": ["client_id"],
        "ix_auth_sessions_expires_at": ["expires_at"],
        "ix_login_attempts_expires_at": ["expires_at"],
        "ix_token_sessions_client_id": ["client_id"],
        "ix_token_sessions_expires_at": ["expires_at"],
        "ix_token_sessions_pool_origin": ["pool_id", "origin_jti"],
        "ix_token_sessions_pool_sub": ["pool_id", "sub"],
    }


def test_upgrade_from_0003_keeps_users_and_adds_devices(db_url: str) -> None:
    upgrade(db_url, "0003_auth_tokens")
    assert "devices" not in table_names(db_url)
    engine = create_store_engine(db_url, pool_size=1)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO user_pools (id, name, config, created_at, updated_at) "
                    "VALUES ('us-east-1_old', 'old', '{}', 1.0, 1.0)"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO users (pool_id, sub, username, status, enabled, attributes, "
                    "created_at, updated_at, settings) VALUES ('us-east-1_old', 'sub-1', 'olduser', "
                    "'CONFIRMED', :yes, '{\"sub\":\"sub-1\"}', 1.0, 1.0, '{}')"
                ),
                {"yes": True},
            )
    finally:
        engine.dispose()
    upgrade(db_url)
    assert current_revision(db_url) == "0006_auth_event_age" == head_revision()
    assert table_names(db_url) == TABLES
    from poolgate.devices.model import Device
    from poolgate.store.sql import SqlStore

    device = Device(
        "us-east-1_old", "sub-1", "us-east-1_0f1e2d3c-0000-0000-0000-000000000001", "-grp", 1.0, 1.0
    )
    with SqlStore(db_url, MasterKey.generate()) as store:
        with store.transaction() as uow:
            assert uow.users.get("us-east-1_old", "sub-1") is not None
            uow.devices.add(device)
        with store.transaction() as uow:
            assert uow.devices.get("us-east-1_old", device.device_key) == device


def test_devices_cascade_and_are_indexed(migrated_url: str) -> None:
    engine = create_store_engine(migrated_url, pool_size=1)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            found = {
                (tuple(fk["constrained_columns"]), fk["referred_table"], fk["options"].get("ondelete"))
                for fk in inspector.get_foreign_keys("devices")
            }
            indexes = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("devices")}
            conn.rollback()
    finally:
        engine.dispose()
    assert found == {
        (("pool_id",), "user_pools", "CASCADE"),
        (("pool_id", "sub"), "users", "CASCADE"),
    }
    assert indexes == {
        "ix_devices_expires_at": ["expires_at"],
        "ix_devices_pool_sub": ["pool_id", "sub", "device_key"],
    }
