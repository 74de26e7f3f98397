"""Helpers for the race, crash and fault suites: two servers on one database, parallel calls."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from tests import pg
from tests.server import ServerProcess, start_server

from poolgate.security.crypto import MasterKey

T = TypeVar("T")
R = TypeVar("R")


def scale(default: int) -> int:
    """A load count, multiplied by ``POOLGATE_HARDENING_SCALE`` (default 1) for longer runs."""
    return max(1, int(default * float(os.environ.get("POOLGATE_HARDENING_SCALE", "1"))))


def outcome(call: Callable[[], Any]) -> str:
    """``"ok"``, the Cognito error code, or ``"5xx:<code>"`` for a server error."""
    try:
        call()
    except ClientError as exc:
        status = int(exc.response["ResponseMetadata"]["HTTPStatusCode"])
        code = str(exc.response["Error"]["Code"])
        return f"5xx:{code}" if status >= 500 else code
    return "ok"


def error_of(exc: ClientError) -> tuple[str, str]:
    return str(exc.response["Error"]["Code"]), str(exc.response["Error"]["Message"])


def parallel(func: Callable[[T], R], items: Iterable[T], threads: int = 16) -> list[R]:
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(func, items))


def figure(title: str, values: Counter[str] | dict[str, Any]) -> None:
    """Print a suite's figure (figures are printed, not asserted)."""
    print(f"\n[hardening] {title}")
    for key, value in sorted(values.items(), key=lambda kv: str(kv[0])):
        print(f"[hardening]   {key}: {value}")


@dataclass
class Pair:
    """Two ``poolgate serve`` processes on one PostgreSQL schema, as replicas behind a balancer."""

    a: ServerProcess
    b: ServerProcess
    database_url: str
    env: dict[str, str]


@contextmanager
def two_processes(tmp_path: Path, env: dict[str, str] | None = None) -> Iterator[Pair]:
    with pg.fresh_schema() as url:
        shared = {
            "POOLGATE_MASTER_KEY": MasterKey.generate().to_text(),
            "POOLGATE_PUBLIC_URL": "http://auth.example",
            **(env or {}),
        }
        a = start_server(tmp_path / "a", database_url=url, env=shared)
        try:
            b = start_server(tmp_path / "b", database_url=url, env=shared)
        except BaseException:
            a.stop()
            raise
        try:
            yield Pair(a, b, url, shared)
        finally:
            a.stop()
            b.stop()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def now() -> float:
    return time.monotonic()
