"""What each ``poolgate`` sub-command does."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from poolgate.config import Settings, format_function_map
from poolgate.private_files import make_private_folder


def run(command: str, args: argparse.Namespace, settings: Settings) -> int:
    """Run one sub-command; returns the exit status."""
    if command == "serve":
        return serve(settings, config_file=args.config)
    if command == "apply":
        return apply(settings, args.file, dry_run=args.dry_run)
    if command == "import-pool":
        return import_pool(settings, args.pool_json, args.client_json, new_ids=args.new_ids)
    if command == "export":
        return export(
            settings,
            args.pool_id,
            include_secrets=args.include_secrets,
            users=not args.no_users,
            output=args.output,
            encrypt=args.encrypt,
        )
    if command == "migrate":
        return migrate(settings)
    if command == "credentials":
        return credentials(settings, args.action, args.access_key_id, args.description)
    if command == "master-key":
        return master_key(settings, args.action)
    if command == "keys":
        return rotate_keys(settings, args.pool)
    if command == "outbox":
        return outbox(settings, args.pool, args.user, as_json=args.json)
    if command == "operations":
        return operations()
    if command == "auth-events":
        return purge_auth_events(settings, args.older_than_days)
    raise AssertionError(command)


def _fail(message: str) -> int:
    print(f"poolgate: {message}", file=sys.stderr)
    return 1


def _open(  # type: ignore[no-untyped-def]
    settings: Settings, *, migrate: bool = True, existing: bool = False, announce: bool = True
):
    """The services on the configured database. ``existing``: a command that reads state refuses to
    create a database (a typo'd --data or another working folder would silently show nothing).
    ``announce``: say on standard error which database is used (``serve`` logs it instead)."""
    from poolgate.services import build_services

    with _startup_errors(settings):
        if existing:
            _require_database(settings)
        services = build_services(settings, migrate=migrate)
    if announce:
        print(f"poolgate: using the database {database_label(settings)}", file=sys.stderr)
    return services


def _require_database(settings: Settings) -> None:
    from sqlalchemy.engine import make_url

    from poolgate.store.sql.migrate import current_revision

    hint = (
        "run the command where `poolgate serve` ran, or point it at that data with --data DIR "
        "(POOLGATE_DATA) or --database-url (POOLGATE_DATABASE_URL)"
    )
    url = settings.effective_database_url
    if settings.is_sqlite:
        path = make_url(url).database
        if path and path != ":memory:" and not Path(path).is_file():
            raise SystemExit(_fail(f"no Poolgate database at {database_label(settings)}; {hint}"))
    elif current_revision(url) is None:
        raise SystemExit(_fail(f"the database {database_label(settings)} has no Poolgate tables; {hint}"))


def database_label(settings: Settings) -> str:
    """The database a command uses, for messages: the SQLite file, or the URL without its password."""
    if settings.is_sqlite and not settings.database_url:
        return str((settings.data_dir / "poolgate.sqlite3").resolve())
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    url = settings.effective_database_url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        scheme, sep, rest = url.partition("://")
        return f"{scheme}{sep}{rest.rpartition('@')[2]}"


@contextmanager
def _startup_errors(settings: Settings) -> Iterator[None]:
    """Turn what commonly stops a start (the data folder, the master key, the database) into one
    line on standard error and exit status 1, as a busy port is, instead of a traceback."""
    import sqlalchemy.exc

    from poolgate.security.crypto import WrongMasterKeyError

    try:
        yield
    except WrongMasterKeyError as exc:
        raise SystemExit(_fail(str(exc))) from None
    except FileExistsError as exc:
        where = exc.filename or settings.data_dir
        problem = f"{where} is not a folder"
        raise SystemExit(_fail(f"cannot use the data folder {settings.data_dir}: {problem}")) from None
    except OSError as exc:
        problem = f"{exc.strerror or exc}" + (f" ({exc.filename})" if exc.filename else "")
        raise SystemExit(_fail(f"cannot use the data folder {settings.data_dir}: {problem}")) from None
    except ValueError as exc:  # an unusable master key (file or POOLGATE_MASTER_KEY)
        raise SystemExit(_fail(str(exc))) from None
    except (sqlalchemy.exc.ArgumentError, sqlalchemy.exc.NoSuchModuleError) as exc:
        raise SystemExit(_fail(f"invalid database URL {database_label(settings)}: {exc}")) from None
    except sqlalchemy.exc.SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        raise SystemExit(_fail(f"cannot open the database {database_label(settings)}: {first}")) from None


def _export_lines(akid: str, secret: str) -> str:
    return f"export AWS_ACCESS_KEY_ID={akid}\nexport AWS_SECRET_ACCESS_KEY={secret}"


def _apply_or_fail(services: Any, path: Path, *, dry_run: bool = False) -> int | None:
    """Apply a pools-as-code file and print the changes; an exit status on failure, else None."""
    from poolgate.devx import ApplyError, apply_file

    try:
        for line in apply_file(services, path, dry_run=dry_run):
            print(line)
    except ApplyError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except OSError as exc:
        return _fail(f"cannot read {path}: {exc.strerror}")
    return None


def apply(settings: Settings, path: Path, *, dry_run: bool) -> int:
    services = _open(settings)
    try:
        failed = _apply_or_fail(services, path, dry_run=dry_run)
    finally:
        services.close()
    return failed or 0


def import_pool(settings: Settings, pool_json: Path, client_jsons: list[Path], *, new_ids: bool) -> int:
    from poolgate.devx import ApplyError
    from poolgate.devx import import_pool as do_import

    try:
        pool_text = pool_json.read_text()
        client_texts = [p.read_text() for p in client_jsons]
    except OSError as exc:
        return _fail(f"cannot read {exc.filename}: {exc.strerror}")
    services = _open(settings)
    try:
        for line in do_import(services, pool_text, client_texts, keep_ids=not new_ids, source=str(pool_json)):
            print(line)
    except ApplyError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    finally:
        services.close()
    return 0


def export(
    settings: Settings,
    pool_id: str,
    *,
    include_secrets: bool,
    users: bool,
    output: Path | None,
    encrypt: bool,
) -> int:
    import yaml

    from poolgate.devx import ApplyError, export_pool
    from poolgate.devx.sealed import passphrase_from_env, seal
    from poolgate.errors import CognitoError

    passphrase = None
    if encrypt:
        try:
            passphrase = passphrase_from_env()
        except ApplyError as exc:
            return _fail(exc.problems[0])

    services = _open(settings, existing=True)
    try:
        document = export_pool(services, pool_id, include_secrets=include_secrets, include_users=users)
    except CognitoError as exc:
        return _fail(exc.message)
    finally:
        services.close()
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    if passphrase is not None:
        text = seal(text, passphrase)
    if output is None:
        sys.stdout.write(text)
    else:
        if include_secrets:
            _write_secret(output, text.rstrip("\n"))
        else:
            output.write_text(text)
    return 0


def serve(settings: Settings, *, config_file: Path | None = None) -> int:
    """Migrate, check the master key, make sure an access key exists, then serve."""
    import uvicorn

    from poolgate.services import ensure_access_key
    from poolgate.web.app import create_app

    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        return _fail(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}")
    # Listen before announcing: connections then queue in the backlog until a worker accepts them.
    sock.listen(2048)
    sock.set_inheritable(True)
    port = sock.getsockname()[1]
    host = f"[{settings.host}]" if family == socket.AF_INET6 else settings.host
    url = f"http://{host}:{port}"
    # The issuer in tokens defaults to the URL actually listened on (known only now, with --port 0).
    if settings.public_url is None:
        settings = settings.with_overrides(public_url=url)

    services = _open(settings, announce=False)
    if config_file is not None:
        failed = _apply_or_fail(services, config_file)
        if failed is not None:
            services.close()
            return failed
    key = ensure_access_key(services)
    if key is not None:
        me = self_command()
        print("Generated an access key for signed (admin) calls; it is stored encrypted in the database.")
        print(f"Use it from your shell (`{me} credentials` prints it again; `{me} outbox` shows the codes")
        print("sent to users):")
        print(_export_lines(key.access_key_id, key.secret_access_key), flush=True)
    _log_start(settings)
    if settings.dev:
        services_log_dev_warning()
    if settings.testing:
        log_testing_warning(settings)
    ready_line = f"Poolgate listening on {url}"
    common: dict[str, Any] = {
        "log_level": settings.log_level.lower(),
        "access_log": settings.log_level.lower() == "debug",
        "timeout_graceful_shutdown": 30,
        "server_header": False,
        "lifespan": "on",
        # httptools with a deadline and a size cap for request headers; see poolgate.web.http for why.
        "http": "poolgate.web.http:GuardedHttpToolsProtocol",
    }
    if settings.workers <= 1:
        from poolgate.web.http import GuardedHttpToolsProtocol

        GuardedHttpToolsProtocol.header_timeout = settings.header_timeout_seconds
        app = create_app(settings, services, on_ready=ready_line)
        config = uvicorn.Config(app, **common)
        uvicorn.Server(config).run(sockets=[sock])
        return 0
    # Several processes: each worker builds its own services from POOLGATE_* variables, and
    # writes its metrics where /metrics (on any worker) aggregates them.
    services.close()
    _export_settings(settings)
    _prepare_metrics_dir(settings)
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        "poolgate.web.app:app_from_environment", factory=True, workers=settings.workers, **common
    )
    print(ready_line, flush=True)
    Multiprocess(config, sockets=[sock]).run()
    return 0


def self_command() -> str:
    """How the user reaches this ``poolgate`` from their shell, for the hints it prints:
    ``POOLGATE_SELF_COMMAND`` (``./dev`` sets it), else ``poolgate`` when that is on PATH, else this
    executable's full path (a virtualenv's bin is often not on PATH), else ``python -m poolgate``."""
    import shlex
    import shutil

    if hint := os.environ.get("POOLGATE_SELF_COMMAND"):
        return hint
    script = Path(sys.argv[0])
    if script.name == "poolgate":
        found = shutil.which("poolgate")
        if found and Path(found).resolve() == script.resolve():
            return "poolgate"
        return shlex.quote(str(script.absolute()))
    return f"{shlex.quote(sys.executable)} -m poolgate"


def _log_start(settings: Settings) -> None:
    import logging

    logging.getLogger("poolgate").info(
        "serving region %s (pool ids %s_…, SigV4 credential scope): clients must use this region; "
        "change it with --region or POOLGATE_REGION. Database: %s",
        settings.region,
        settings.region,
        database_label(settings),
    )


def services_log_dev_warning() -> None:
    import logging

    logging.getLogger("poolgate").warning(
        "--dev is on: ANY well-formed SigV4 signature is accepted for admin calls. Never use this in production."
    )


def log_testing_warning(settings: Settings) -> None:
    """Say loudly, at start-up, what ``--testing`` exposes and to whom (on stderr, whatever the log level)."""
    pages = ", ".join(settings.testing_allowed_origins) or "none"
    print(
        "WARNING: --testing is on. /_testing/* lets anyone who can reach this port read every code and "
        "temporary password sent, move the clock (which lifts lockouts) and delete all data. "
        f"Never use it in production. Web pages allowed to call it (--testing-allowed-origins): {pages}.",
        file=sys.stderr,
        flush=True,
    )


def _export_settings(settings: Settings) -> None:
    """Hand the resolved settings to worker processes through the environment."""
    env = {
        "POOLGATE_HOST": settings.host,
        "POOLGATE_REGION": settings.region,
        "POOLGATE_DATA": str(settings.data_dir.resolve()),
        "POOLGATE_DATABASE_URL": settings.effective_database_url,
        "POOLGATE_PUBLIC_URL": settings.public_url or "",
        "POOLGATE_ACCOUNT_ID": settings.account_id,
        "POOLGATE_DEV": "1" if settings.dev else "0",
        "POOLGATE_TESTING": "1" if settings.testing else "0",
        "POOLGATE_TESTING_ALLOWED_ORIGINS": ",".join(settings.testing_allowed_origins),
        "POOLGATE_OUTBOX": settings.outbox,
        "POOLGATE_LOG_LEVEL": settings.log_level,
        "POOLGATE_MAX_BODY_BYTES": str(settings.max_body_bytes),
        "POOLGATE_ISSUER_STYLE": settings.issuer_style,
        "POOLGATE_LAMBDA_HANDLERS": format_function_map(settings.lambda_handlers),
        "POOLGATE_LAMBDA_ENDPOINTS": format_function_map(settings.lambda_endpoints),
        "POOLGATE_LAMBDA_TIMEOUT_SECONDS": str(settings.lambda_timeout_seconds),
        "POOLGATE_LAMBDA_ATTEMPTS": str(settings.lambda_attempts),
        "POOLGATE_LAMBDA_THREADS": str(settings.lambda_threads),
        "POOLGATE_SQLITE_SYNCHRONOUS": settings.sqlite_synchronous,
        "POOLGATE_RATE_LIMIT_PER_IP": str(settings.rate_limit_per_ip),
        "POOLGATE_RATE_LIMIT_PER_POOL": str(settings.rate_limit_per_pool),
        "POOLGATE_FAILED_SIGNIN_RATE_PER_IP": (
            "" if settings.failed_signin_rate_per_ip is None else str(settings.failed_signin_rate_per_ip)
        ),
        "POOLGATE_FAILED_SIGNIN_BURST_PER_IP": str(settings.failed_signin_burst_per_ip),
        "POOLGATE_HEADER_TIMEOUT_SECONDS": str(settings.header_timeout_seconds),
        "POOLGATE_BODY_TIMEOUT_SECONDS": str(settings.body_timeout_seconds),
        "POOLGATE_TRUSTED_PROXIES": ",".join(settings.trusted_proxies),
        "POOLGATE_AUTH_EVENT_RETENTION_DAYS": str(settings.auth_event_retention_days),
    }
    if settings.analytics_webhook_url:
        env["POOLGATE_ANALYTICS_WEBHOOK_URL"] = settings.analytics_webhook_url
    if settings.master_key:
        env["POOLGATE_MASTER_KEY"] = settings.master_key
    if settings.access_keys:
        env["POOLGATE_ACCESS_KEYS"] = ",".join(
            f"{k.access_key_id}:{k.secret_access_key}" for k in settings.access_keys
        )
    os.environ.update(env)


def _prepare_metrics_dir(settings: Settings) -> None:
    import shutil

    from poolgate.metrics import MULTIPROCESS_VARIABLE

    folder = (settings.data_dir / "metrics").resolve()
    shutil.rmtree(folder, ignore_errors=True)
    make_private_folder(folder)
    os.environ[MULTIPROCESS_VARIABLE] = str(folder)


def migrate(settings: Settings) -> int:
    from poolgate.store.sql.migrate import current_revision, upgrade

    url = settings.effective_database_url
    with _startup_errors(settings):
        if settings.is_sqlite:
            make_private_folder(settings.data_dir)
        upgrade(url)
        revision = current_revision(url)
    print(f"database {database_label(settings)} is at revision {revision}")
    return 0


def credentials(settings: Settings, action: str, access_key_id: str | None, description: str) -> int:
    from poolgate.services import generate_access_key
    from poolgate.store.base import StoredAccessKey

    services = _open(settings, existing=action != "add")
    try:
        if action == "show":
            with services.store.transaction() as uow:
                keys = list(uow.access_keys.list())
            configured = settings.access_keys
            if not keys and not configured:
                print(
                    "No access keys yet: `poolgate serve` generates one at first start, "
                    "or run `poolgate credentials add`."
                )
            for stored in keys:
                print(f"# {stored.access_key_id} {stored.description}".rstrip())
                print(_export_lines(stored.access_key_id, stored.secret_access_key))
            for conf in configured:
                print(f"# {conf.access_key_id} (from POOLGATE_ACCESS_KEYS)")
            return 0
        if action == "add":
            key = generate_access_key()
            with services.store.transaction() as uow:
                uow.access_keys.add(
                    StoredAccessKey(
                        key.access_key_id, key.secret_access_key, services.clock.now(), description
                    )
                )
            print(_export_lines(key.access_key_id, key.secret_access_key))
            return 0
        if not access_key_id:
            return _fail("credentials revoke needs the access key id to revoke")
        with services.store.transaction() as uow:
            revoked = uow.access_keys.revoke(access_key_id, services.clock.now())
        if not revoked:
            return _fail(f"no active stored access key {access_key_id}")
        print(f"revoked {access_key_id}")
        return 0
    finally:
        services.close()


def master_key(settings: Settings, action: str) -> int:
    from poolgate.mfa.rotation import reseal_totp_secrets
    from poolgate.security.crypto import MasterKey, load_or_create_master_key
    from poolgate.store.sql import rotate_master_key

    if action == "generate":
        print(MasterKey.generate().to_text())
        return 0
    services = _open(settings, existing=True)
    old = services.master_key
    services.close()
    if action == "fingerprint":
        print(old.fingerprint)
        return 0
    new = MasterKey.generate()
    url = settings.effective_database_url
    if settings.master_key:
        count = rotate_master_key(url, old, new, also=reseal_totp_secrets)
        print(f"re-encrypted {count} secrets. The database now needs this key; set it everywhere:")
        print(f"POOLGATE_MASTER_KEY={new.to_text()}")
        return 0
    key_file = settings.data_dir / "master.key"
    pending = key_file.with_suffix(".key.new")
    _write_secret(pending, new.to_text())
    try:
        count = rotate_master_key(url, old, new, also=reseal_totp_secrets)
    except BaseException:
        pending.unlink(missing_ok=True)
        raise
    os.replace(pending, key_file)
    assert load_or_create_master_key(settings).fingerprint == new.fingerprint
    print(f"re-encrypted {count} secrets under the new key {new.fingerprint}; {key_file} updated.")
    return 0


def _write_secret(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def rotate_keys(settings: Settings, pool_id: str) -> int:
    """Add new signing keys; the old ones stay in the JWKS until their tokens have expired."""
    services = _open(settings, existing=True)
    try:
        with services.store.transaction() as uow:
            if uow.pools.get(pool_id) is None:
                return _fail(f"user pool {pool_id} does not exist")
            kids = services.tokens.rotate_keys(uow, pool_id)
    finally:
        services.close()
    print(f"new signing keys for {pool_id}: {', '.join(kids)}")
    return 0


def outbox(settings: Settings, pool_id: str | None, username: str | None, *, as_json: bool) -> int:
    """Print the outbox: what Poolgate "sent", so a sign-up can be finished locally."""
    import datetime
    import json

    services = _open(settings, existing=True)
    try:
        with services.store.transaction(readonly=True) as uow:
            rows = list(uow.outbox.list(pool_id, username))
    finally:
        services.close()
    for m in rows:
        if as_json:
            print(
                json.dumps(
                    {
                        "userPoolId": m.user_pool_id,
                        "username": m.username,
                        "channel": m.channel,
                        "destination": m.destination,
                        "purpose": m.purpose,
                        "message": m.message,
                        "code": m.code,
                        "createdAt": m.created_at,
                    }
                )
            )
            continue
        when = datetime.datetime.fromtimestamp(m.created_at, tz=datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")
        print(f"{when}  {m.user_pool_id}  {m.username}  {m.purpose}  {m.channel} to {m.destination}")
        print(f"    code: {m.code}" if m.code else "    (no code)")
        print(f"    {m.message}")
    if not rows:
        print("The outbox is empty.", file=sys.stderr)
    return 0


def purge_auth_events(settings: Settings, older_than_days: float | None) -> int:
    """Delete auth events older than ``older_than_days`` (default: the retention setting)."""
    services = _open(settings, existing=True)
    try:
        days = settings.auth_event_retention_days if older_than_days is None else older_than_days
        removed = services.threat.purge_old_events(older_than=days * 86400)
    finally:
        services.close()
    print(f"deleted {removed} auth events older than {days:g} days")
    return 0


def operations() -> int:
    from poolgate.operations.registry import implemented_operations

    for name in implemented_operations():
        print(name)
    return 0
