"""``poolgate``: serve, migrate, credentials, master-key rotate, operations.

Every flag can also be set with a ``POOLGATE_*`` environment variable (see the
README's configuration reference); a flag wins over the variable.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from poolgate import __version__
from poolgate.config import (
    ConfigError,
    Settings,
    parse_cidrs,
    parse_function_map,
    parse_origins,
    settings_from_env,
)

DESCRIPTION = """\
Poolgate: a self-hosted server for the Amazon Cognito user-pool API (cognito-idp).
Point boto3, the AWS CLI or any AWS SDK at it with endpoint_url.

Quick start:
  poolgate serve                      # SQLite in ./poolgate-data, http://127.0.0.1:9229
  # in another shell, with the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY lines serve printed:
  aws cognito-idp list-user-pools --max-results 10 --region us-east-1 --endpoint-url http://127.0.0.1:9229
"""


def _store_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data", type=Path, help="data folder for SQLite and the master key [POOLGATE_DATA, ./poolgate-data]"
    )
    p.add_argument(
        "--database-url",
        help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db [POOLGATE_DATABASE_URL; default SQLite in --data]",
    )
    p.add_argument("--region", help="region in pool ids and SigV4 scopes [POOLGATE_REGION, us-east-1]")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="poolgate", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"poolgate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the server (applies migrations first)")
    serve.add_argument("--host", help="address to listen on [POOLGATE_HOST, 127.0.0.1]")
    serve.add_argument("--port", type=int, help="port; 0 picks a free one [POOLGATE_PORT, 9229]")
    _store_flags(serve)
    serve.add_argument(
        "--public-url", help="URL clients reach the server at [POOLGATE_PUBLIC_URL; the listen URL]"
    )
    serve.add_argument("--workers", type=int, help="server processes [POOLGATE_WORKERS, 1]")
    serve.add_argument(
        "--dev",
        action="store_true",
        default=None,
        help="accept any well-formed SigV4 signature (throwaway test servers only) [POOLGATE_DEV]",
    )
    serve.add_argument(
        "--testing",
        action="store_true",
        default=None,
        help="add the /_testing control API (messages, clock, reset) [POOLGATE_TESTING]",
    )
    serve.add_argument(
        "--testing-allowed-origins",
        metavar="ORIGINS",
        help="comma-separated browser origins (http://localhost:3000) whose pages may call the testing API "
        "[POOLGATE_TESTING_ALLOWED_ORIGINS, none]",
    )
    serve.add_argument("--log-level", help="debug, info, warning, error [POOLGATE_LOG_LEVEL, info]")
    serve.add_argument(
        "--lambda-handler",
        action="append",
        metavar="NAME=module:function",
        help="run Lambda function NAME as this in-process Python handler; repeatable, added to "
        "POOLGATE_LAMBDA_HANDLERS",
    )

    serve.add_argument(
        "--trusted-proxies",
        help="comma-separated CIDRs of proxies whose X-Forwarded-For names the client [POOLGATE_TRUSTED_PROXIES]",
    )
    serve.add_argument("--config", type=Path, help="a pools-as-code YAML file applied at start (see `apply`)")

    apply = sub.add_parser("apply", help="create or update pools, clients, groups and users from a YAML file")
    _store_flags(apply)
    apply.add_argument("file", type=Path, help="the pools-as-code file (docs/pools-as-code.md)")
    apply.add_argument("--dry-run", action="store_true", help="print what would change, change nothing")

    imp = sub.add_parser("import-pool", help="recreate a pool from `aws cognito-idp describe-user-pool` JSON")
    _store_flags(imp)
    imp.add_argument("pool_json", type=Path, help="output of describe-user-pool")
    imp.add_argument("client_json", type=Path, nargs="*", help="outputs of describe-user-pool-client")
    imp.add_argument("--new-ids", action="store_true", help="give the pool and clients new ids")

    exp = sub.add_parser("export", help="write a pool, its clients, groups and users as a pools-as-code file")
    _store_flags(exp)
    exp.add_argument("pool_id")
    exp.add_argument(
        "--include-secrets",
        action="store_true",
        help="also client secrets and password verifiers (the file is then a secret)",
    )
    exp.add_argument("--no-users", action="store_true", help="leave the users out")
    exp.add_argument(
        "--encrypt",
        action="store_true",
        help="seal the file with a key from POOLGATE_EXPORT_PASSPHRASE (apply opens it)",
    )
    exp.add_argument("--output", "-o", type=Path, help="file to write (default: standard output)")

    migrate = sub.add_parser("migrate", help="apply database migrations and exit")
    _store_flags(migrate)

    creds = sub.add_parser(
        "credentials", help="print, add or revoke the access keys admin calls are signed with"
    )
    _store_flags(creds)
    creds.add_argument("action", nargs="?", choices=["show", "add", "revoke"], default="show")
    creds.add_argument("access_key_id", nargs="?", help="the key to revoke")
    creds.add_argument("--description", default="", help="a note stored with a new key")

    mk = sub.add_parser("master-key", help="manage the master key that encrypts secrets at rest")
    _store_flags(mk)
    mk.add_argument("action", choices=["rotate", "fingerprint", "generate"])

    keys = sub.add_parser("keys", help="rotate a user pool's token signing keys")
    _store_flags(keys)
    keys.add_argument("action", choices=["rotate"])
    keys.add_argument("--pool", required=True, help="the user pool id")

    outbox = sub.add_parser(
        "outbox", help="print the codes and messages the outbox kept (newest last; see POOLGATE_OUTBOX)"
    )
    _store_flags(outbox)
    outbox.add_argument("--pool", help="only this user pool id")
    outbox.add_argument("--user", help="only this username")
    outbox.add_argument("--json", action="store_true", help="one JSON object per line")

    sub.add_parser("operations", help="list the cognito-idp operations Poolgate implements")

    events = sub.add_parser("auth-events", help="delete old threat-protection auth events")
    _store_flags(events)
    events.add_argument("action", choices=["purge"])
    events.add_argument(
        "--older-than-days",
        type=float,
        help="age limit in days (default: POOLGATE_AUTH_EVENT_RETENTION_DAYS, 90)",
    )
    return parser


def load_settings(args: argparse.Namespace) -> Settings:
    """Environment first, then flags on top."""
    settings = settings_from_env()
    handler_flags = getattr(args, "lambda_handler", None)
    if handler_flags:
        flagged = parse_function_map(",".join(handler_flags), "--lambda-handler", kind="handler")
        settings = settings.with_overrides(lambda_handlers={**settings.lambda_handlers, **flagged})
    return settings.with_overrides(
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        data_dir=getattr(args, "data", None),
        database_url=getattr(args, "database_url", None),
        region=getattr(args, "region", None),
        public_url=getattr(args, "public_url", None),
        workers=getattr(args, "workers", None),
        dev=getattr(args, "dev", None),
        testing=getattr(args, "testing", None),
        testing_allowed_origins=(
            parse_origins(args.testing_allowed_origins, "--testing-allowed-origins")
            if getattr(args, "testing_allowed_origins", None) is not None
            else None
        ),
        log_level=getattr(args, "log_level", None),
        trusted_proxies=(
            parse_cidrs(args.trusted_proxies, "--trusted-proxies")
            if getattr(args, "trusted_proxies", None) is not None
            else None
        ),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        settings = load_settings(args)
        logging.basicConfig(
            level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        logging.getLogger("alembic").setLevel(logging.WARNING)
        from poolgate.cli import commands

        return commands.run(args.command, args, settings)
    except ConfigError as exc:
        print(f"poolgate: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # Anything else that stops a command: one line, not a traceback (unless debugging).
        if logging.getLogger().isEnabledFor(logging.DEBUG):
            raise
        print(
            f"poolgate: {args.command} failed: {type(exc).__name__}: {exc} "
            "(POOLGATE_LOG_LEVEL=debug shows the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
