"""Typed settings, read from ``POOLGATE_*`` environment variables and command-line flags.

Secrets (the master key, access keys, the database URL, the SMTP and SMS webhook
URLs) may also be given as a path in ``POOLGATE_<NAME>_FILE``, for mounted
secrets. A flag beats the environment; the environment beats the default.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

# The accepted values of ``issuer_style``.
ISSUER_STYLES = ("poolgate", "aws")
# The accepted values of ``sqlite_synchronous`` (SQLite's PRAGMA synchronous in WAL mode).
SQLITE_SYNCHRONOUS_MODES = ("FULL", "NORMAL")
# The accepted values of ``outbox`` (see poolgate.delivery.routing.outbox_channels).
OUTBOX_MODES = ("auto", "on", "off")

# Failed sign-ins per second and client IP when POOLGATE_FAILED_SIGNIN_RATE_PER_IP is not set.
DEFAULT_FAILED_SIGNIN_RATE = 10.0

SECRET_SETTINGS = (
    "master_key",
    "access_keys",
    "database_url",
    "smtp_url",
    "sms_webhook_url",
    "analytics_webhook_url",
)


class ConfigError(ValueError):
    """A setting has a value Poolgate cannot use; the message says which and why."""


@dataclass(frozen=True, slots=True)
class AccessKey:
    """One SigV4 credential: an access key id and its secret."""

    access_key_id: str
    secret_access_key: str


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 9229
    data_dir: Path = Path("./poolgate-data")
    database_url: str | None = None
    region: str = "us-east-1"
    public_url: str | None = None
    # How token issuers are spelled: "poolgate" (<public_url>/<poolId>) or "aws"
    # (https://cognito-idp.<region>.amazonaws.com/<poolId>); see poolgate.tokens.discovery.
    issuer_style: str = "poolgate"
    workers: int = 1
    account_id: str = "000000000000"
    master_key: str | None = None
    access_keys: tuple[AccessKey, ...] = ()
    dev: bool = False
    testing: bool = False
    # Browser origins (scheme://host[:port]) whose pages may call the testing API, e.g. an
    # end-to-end suite reading codes from its page; none by default (see poolgate.web.testing_api).
    testing_allowed_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1024 * 1024
    log_level: str = "info"
    purge_interval_seconds: float = 300.0
    # Message delivery (see poolgate.delivery). With none of these set, codes and
    # messages are only recorded in the outbox.
    smtp_url: str | None = None
    smtp_from: str = "no-reply@verificationemail.com"
    sms_webhook_url: str | None = None
    sms_sns: bool = False
    # Which messages the outbox keeps (codes and temporary passwords in clear, until they expire):
    # "auto" those of a channel with no sender (the outbox is their delivery), and all of them with
    # --testing; "on" all; "off" none.
    outbox: str = "auto"
    # Lambda triggers (see poolgate.triggers.build). Function name -> "package.module:function"
    # run in-process, and function name -> Lambda Invoke API base URL; other functions go to
    # AWS Lambda (or AWS_ENDPOINT_URL_LAMBDA). Each attempt gets the timeout; a timed-out,
    # throttled or unreachable call is attempted up to lambda_attempts times in all.
    lambda_handlers: Mapping[str, str] = field(default_factory=dict)
    lambda_endpoints: Mapping[str, str] = field(default_factory=dict)
    lambda_timeout_seconds: float = 5.0
    lambda_attempts: int = 3
    lambda_threads: int = 8
    # SQLite durability: FULL syncs the WAL at every commit, so an acknowledged write survives
    # power loss; NORMAL syncs only at checkpoints (faster; survives a process crash, not power loss).
    sqlite_synchronous: str = "FULL"
    # Per-process request budgets (per second, token buckets; 0 turns one off) for the public
    # sign-in operations, per client IP and per user pool; past them TooManyRequestsException.
    rate_limit_per_ip: float = 1000.0
    rate_limit_per_pool: float = 5000.0
    # Failed sign-ins per client IP and process (web.ratelimit): a bucket of burst failures
    # refilled at rate per second; when it is empty, sign-ins from that IP get
    # TooManyRequestsException. None: 10 per second, or off under --testing; 0 turns it off.
    failed_signin_rate_per_ip: float | None = None
    failed_signin_burst_per_ip: float = 20.0
    # How long a connection may take to send a request's headers, and then its body.
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 30.0
    # Threat protection: CIDRs of reverse proxies whose X-Forwarded-For is believed (none by
    # default: the TCP peer is the client), and where analytics events go (a webhook URL;
    # default: analytics-events.jsonl in the data folder).
    trusted_proxies: tuple[str, ...] = ()
    analytics_webhook_url: str | None = None
    # Auth events (threat protection's sign-in history) older than this are deleted.
    auth_event_retention_days: float = 90.0
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to SQLite in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'poolgate.sqlite3').resolve()}"

    @property
    def effective_failed_signin_rate(self) -> float:
        """Failed sign-ins per second and client IP: the setting, else 10 (0, off, under
        ``--testing``, whose users' suites sign in wrongly on purpose, lockout tests included)."""
        if self.failed_signin_rate_per_ip is not None:
            return self.failed_signin_rate_per_ip
        return 0.0 if self.testing else DEFAULT_FAILED_SIGNIN_RATE

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    def with_overrides(self, **changes: object) -> Settings:
        """Return a copy with the given non-None values replaced."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]


def parse_access_keys(text: str) -> tuple[AccessKey, ...]:
    """Parse ``"AKID:SECRET[,AKID2:SECRET2]"``."""
    keys: list[AccessKey] = []
    for raw in text.replace("\n", ",").split(","):
        item = raw.strip()
        if not item:
            continue
        akid, sep, secret = item.partition(":")
        if not sep or not akid.strip() or not secret.strip():
            raise ConfigError("POOLGATE_ACCESS_KEYS must look like AKID:SECRET[,AKID2:SECRET2]")
        keys.append(AccessKey(akid.strip(), secret.strip()))
    return tuple(keys)


def parse_function_map(text: str, variable: str, *, kind: str) -> dict[str, str]:
    """Parse ``"name=value[,name2=value2]"`` (commas or newlines) for a Lambda function map.

    ``kind`` is ``"handler"`` (values must look like ``package.module:function``) or
    ``"endpoint"`` (values must be http(s) URLs).
    """
    functions: dict[str, str] = {}
    for raw in text.replace("\n", ",").split(","):
        item = raw.strip()
        if not item:
            continue
        name, sep, value = (part.strip() for part in item.partition("="))
        if not sep or not name or not value:
            raise ConfigError(f"{variable} must look like NAME={_EXAMPLES[kind]}[,...], not {item!r}")
        if kind == "handler" and (value.count(":") != 1 or not all(value.split(":"))):
            raise ConfigError(
                f"{variable}: the handler of {name} must look like package.module:function, not {value!r}"
            )
        if kind == "endpoint" and not value.startswith(("http://", "https://")):
            raise ConfigError(
                f"{variable}: the endpoint of {name} must be an http:// or https:// URL, not {value!r}"
            )
        functions[name] = value.rstrip("/") if kind == "endpoint" else value
    return functions


_EXAMPLES = {"handler": "package.module:function", "endpoint": "http://host:port"}


def format_function_map(functions: Mapping[str, str]) -> str:
    """The inverse of :func:`parse_function_map`."""
    return ",".join(f"{name}={value}" for name, value in functions.items())


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _read(env: Mapping[str, str], name: str, secret: bool) -> str | None:
    key = f"POOLGATE_{name.upper()}"
    if key in env and env[key] != "":
        return env[key]
    if secret and env.get(f"{key}_FILE"):
        path = Path(env[f"{key}_FILE"])
        try:
            return path.read_text().strip()
        except OSError as exc:
            raise ConfigError(f"{key}_FILE: cannot read {path}: {exc.strerror}") from exc
    return None


def settings_from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from ``POOLGATE_*`` variables (defaults for the rest)."""
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    for name in ("host", "region", "public_url", "account_id", "log_level"):
        if (v := _read(env, name, False)) is not None:
            values[name] = v
    for name in ("port", "workers", "max_body_bytes"):
        if (v := _read(env, name, False)) is not None:
            try:
                values[name] = int(v)
            except ValueError as exc:
                raise ConfigError(f"POOLGATE_{name.upper()} must be a whole number, not {v!r}") from exc
    if (v := _read(env, "issuer_style", False)) is not None:
        style = v.strip().lower()
        if style not in ISSUER_STYLES:
            raise ConfigError(f"POOLGATE_ISSUER_STYLE must be one of {', '.join(ISSUER_STYLES)}, not {v!r}")
        values["issuer_style"] = style
    if (v := _read(env, "purge_interval_seconds", False)) is not None:
        values["purge_interval_seconds"] = float(v)
    if (v := _read(env, "data", False)) is not None:
        values["data_dir"] = Path(v)
    for name in ("dev", "testing"):
        if (v := _read(env, name, False)) is not None:
            values[name] = _truthy(v)
    if (v := _read(env, "testing_allowed_origins", False)) is not None:
        values["testing_allowed_origins"] = parse_origins(v, "POOLGATE_TESTING_ALLOWED_ORIGINS")
    if (v := _read(env, "database_url", True)) is not None:
        values["database_url"] = v
    if (v := _read(env, "master_key", True)) is not None:
        values["master_key"] = v
    if (v := _read(env, "access_keys", True)) is not None:
        values["access_keys"] = parse_access_keys(v)
    # Message delivery.
    for name in ("smtp_url", "sms_webhook_url"):
        if (v := _read(env, name, True)) is not None:
            values[name] = v
    if (v := _read(env, "smtp_from", False)) is not None:
        values["smtp_from"] = v
    if (v := _read(env, "sms_sns", False)) is not None:
        values["sms_sns"] = _truthy(v)
    if (v := _read(env, "outbox", False)) is not None:
        mode = v.strip().lower()
        if mode not in OUTBOX_MODES:
            raise ConfigError(f"POOLGATE_OUTBOX must be one of {', '.join(OUTBOX_MODES)}, not {v!r}")
        values["outbox"] = mode
    # Lambda triggers.
    if (v := _read(env, "lambda_handlers", False)) is not None:
        values["lambda_handlers"] = parse_function_map(v, "POOLGATE_LAMBDA_HANDLERS", kind="handler")
    if (v := _read(env, "lambda_endpoints", False)) is not None:
        values["lambda_endpoints"] = parse_function_map(v, "POOLGATE_LAMBDA_ENDPOINTS", kind="endpoint")
    if (v := _read(env, "lambda_timeout_seconds", False)) is not None:
        values["lambda_timeout_seconds"] = _positive(v, "POOLGATE_LAMBDA_TIMEOUT_SECONDS", float)
    for name in ("lambda_attempts", "lambda_threads"):
        if (v := _read(env, name, False)) is not None:
            values[name] = _positive(v, f"POOLGATE_{name.upper()}", int)
    if (v := _read(env, "sqlite_synchronous", False)) is not None:
        values["sqlite_synchronous"] = parse_sqlite_synchronous(v)
    for name in ("rate_limit_per_ip", "rate_limit_per_pool", "failed_signin_rate_per_ip"):
        if (v := _read(env, name, False)) is not None:
            values[name] = _not_negative(v, f"POOLGATE_{name.upper()}")
    if (v := _read(env, "failed_signin_burst_per_ip", False)) is not None:
        values["failed_signin_burst_per_ip"] = _at_least_one(v, "POOLGATE_FAILED_SIGNIN_BURST_PER_IP")
    for name in ("header_timeout_seconds", "body_timeout_seconds"):
        if (v := _read(env, name, False)) is not None:
            values[name] = _positive(v, f"POOLGATE_{name.upper()}", float)
    if (v := _read(env, "trusted_proxies", False)) is not None:
        values["trusted_proxies"] = parse_cidrs(v, "POOLGATE_TRUSTED_PROXIES")
    if (v := _read(env, "analytics_webhook_url", True)) is not None:
        values["analytics_webhook_url"] = v
    if (v := _read(env, "auth_event_retention_days", False)) is not None:
        values["auth_event_retention_days"] = _positive(v, "POOLGATE_AUTH_EVENT_RETENTION_DAYS", float)
    return Settings(**values)  # type: ignore[arg-type]


def parse_origins(text: str, variable: str) -> tuple[str, ...]:
    """Comma-separated web origins, each ``http(s)://host[:port]`` with no path; raises ConfigError."""
    origins: list[str] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            parts = urlsplit(item)
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            parts = urlsplit("")
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path not in ("", "/")
            or (parts.query or parts.fragment or parts.username)
        ):
            raise ConfigError(f"{variable}: {item!r} is not a web origin like http://localhost:3000")
        origins.append(item.rstrip("/"))
    return tuple(origins)


def parse_sqlite_synchronous(text: str) -> str:
    """``FULL`` or ``NORMAL`` (any case); raises ConfigError otherwise."""
    mode = text.strip().upper()
    if mode not in SQLITE_SYNCHRONOUS_MODES:
        raise ConfigError(
            f"POOLGATE_SQLITE_SYNCHRONOUS must be one of {', '.join(SQLITE_SYNCHRONOUS_MODES)}, not {text!r}"
        )
    return mode


def sqlite_synchronous_from_env(env: Mapping[str, str] | None = None) -> str:
    """The SQLite synchronous mode from ``POOLGATE_SQLITE_SYNCHRONOUS`` (default FULL)."""
    env = os.environ if env is None else env
    value = _read(env, "sqlite_synchronous", False)
    return "FULL" if value is None else parse_sqlite_synchronous(value)


def parse_cidrs(text: str, variable: str) -> tuple[str, ...]:
    """Comma-separated CIDRs (a bare address is its own /32 or /128); raises ConfigError."""
    networks: list[str] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError as exc:
            raise ConfigError(f"{variable}: {item!r} is not an IP address or CIDR range") from exc
    return tuple(networks)


def _not_negative(text: str, variable: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise ConfigError(
            f"{variable} must be a number of requests per second (0 turns it off), not {text!r}"
        )
    return value


def _at_least_one(text: str, variable: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value >= 1:
        raise ConfigError(f"{variable} must be a number of at least 1, not {text!r}")
    return value


def _positive(text: str, variable: str, kind: type[int | float]) -> float:
    try:
        value = kind(text)
    except ValueError:
        value = 0
    if value <= 0:
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{variable} must be {what} above 0, not {text!r}")
    return value
