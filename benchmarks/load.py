"""The closed-loop load generator: N workers, each on its own keep-alive connection.

A run has a warm-up, then a measured window. Only operations that complete
inside the window count toward throughput and latency; server CPU and peak
RSS are read from /proc at the window's edges (peak RSS is reset to the
current RSS when the window opens). The first answer of every worker and then
every ``sample_every``-th one is checked, after its latency is taken.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks.http import Connection
from benchmarks.servers import cpu_seconds, peak_rss_kib, reset_peak_rss

MAX_ERROR_SAMPLES = 5


@dataclass
class CellResult:
    """One (server, scenario, concurrency) measurement."""

    server: str
    scenario: str
    concurrency: int
    window_s: float
    ops: int
    http_calls_per_op: int
    latencies_ms: list[float] = field(repr=False)
    errors: int
    errors_total: int
    error_samples: list[str]
    checked: int
    tokens_verified: int
    server_cpu_s: float | None
    server_user_s: float | None
    generator_cpu_s: float
    peak_rss_kib: int | None
    peak_rss_reset: bool

    @property
    def ops_per_s(self) -> float:
        return self.ops / self.window_s if self.window_s else 0.0

    def percentile(self, p: float) -> float | None:
        if not self.latencies_ms:
            return None
        ordered = sorted(self.latencies_ms)
        rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[rank]

    def _percent(self, seconds: float | None) -> float | None:
        return None if seconds is None else _round(100 * seconds / self.window_s)

    def summary(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "scenario": self.scenario,
            "concurrency": self.concurrency,
            "window_s": round(self.window_s, 3),
            "ops": self.ops,
            "ops_per_s": round(self.ops_per_s, 1),
            "http_requests_per_s": round(self.ops_per_s * self.http_calls_per_op, 1),
            "p50_ms": _round(self.percentile(50)),
            "p95_ms": _round(self.percentile(95)),
            "p99_ms": _round(self.percentile(99)),
            "errors": self.errors,
            "errors_total": self.errors_total,
            "error_samples": self.error_samples,
            "answers_checked": self.checked,
            "tokens_verified": self.tokens_verified,
            "server_cpu_percent": self._percent(self.server_cpu_s),
            "server_user_percent": self._percent(self.server_user_s),
            "server_system_percent": self._percent(
                None
                if self.server_cpu_s is None or self.server_user_s is None
                else self.server_cpu_s - self.server_user_s
            ),
            "generator_cpu_percent": _round(100 * self.generator_cpu_s / self.window_s),
            "peak_rss_mib": _round(self.peak_rss_kib / 1024 if self.peak_rss_kib is not None else None),
            "peak_rss_is_window_peak": self.peak_rss_reset,
        }


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


Operation = Callable[[Connection, int, int], Awaitable[Any]]
Checker = Callable[[Any, int], int]


async def run_cell(
    *,
    server: str,
    scenario: str,
    host: str,
    port: int,
    pid: int | None,
    op: Operation,
    check: Checker | None,
    n_users: int,
    concurrency: int,
    duration: float,
    warmup: float,
    http_calls_per_op: int = 1,
    sample_every: int = 25,
) -> CellResult:
    """Drive ``op(conn, user_index, worker)`` from ``concurrency`` workers and measure the window."""
    conns = [Connection(host, port) for _ in range(concurrency)]
    start = time.perf_counter()
    window_open = start + warmup
    window_close = window_open + duration
    latencies: list[float] = []
    counts = {"errors": 0, "errors_total": 0, "checked": 0, "tokens": 0}
    samples: list[str] = []
    edges: dict[str, float] = {}

    def note_error(message: str, in_window: bool) -> None:
        counts["errors_total"] += 1
        if in_window:
            counts["errors"] += 1
        if len(samples) < MAX_ERROR_SAMPLES:
            samples.append(message[:300])

    async def worker(index: int) -> None:
        conn = conns[index]
        seq = 0
        while True:
            began = time.perf_counter()
            if began >= window_close:
                return
            user = (index + seq * concurrency) % n_users
            seq += 1
            try:
                result = await op(conn, user, index)
            except Exception as exc:  # noqa: BLE001 - every failure is counted, none stops the run
                ended = time.perf_counter()
                note_error(f"{type(exc).__name__}: {exc}", window_open <= ended <= window_close)
                continue
            ended = time.perf_counter()
            in_window = window_open <= ended <= window_close
            if in_window:
                latencies.append((ended - began) * 1000)
            if check is not None and (seq == 1 or seq % sample_every == 0):
                try:
                    counts["tokens"] += check(result, user)
                    counts["checked"] += 1
                except Exception as exc:  # noqa: BLE001 - a failed check is an error like any other
                    note_error(f"check failed: {type(exc).__name__}: {exc}", in_window)

    async def window() -> None:
        await asyncio.sleep(max(0.0, window_open - time.perf_counter()))
        edges["t0"] = time.perf_counter()
        edges["gen0"] = time.process_time()
        if pid is not None:
            edges["reset"] = float(reset_peak_rss(pid))
            edges["user0"], edges["sys0"] = cpu_seconds(pid)
        await asyncio.sleep(max(0.0, window_close - time.perf_counter()))
        edges["t1"] = time.perf_counter()
        edges["gen1"] = time.process_time()
        if pid is not None:
            edges["user1"], edges["sys1"] = cpu_seconds(pid)
            edges["rss"] = float(peak_rss_kib(pid))

    try:
        await asyncio.gather(window(), *(worker(i) for i in range(concurrency)))
    finally:
        for conn in conns:
            conn.close()
    # Throughput is counted over the nominal window; the CPU figures over the window actually observed.
    observed = edges["t1"] - edges["t0"]
    scale = duration / observed if observed > 0 else 1.0
    return CellResult(
        server=server,
        scenario=scenario,
        concurrency=concurrency,
        window_s=duration,
        ops=len(latencies),
        http_calls_per_op=http_calls_per_op,
        latencies_ms=latencies,
        errors=counts["errors"],
        errors_total=counts["errors_total"],
        error_samples=samples,
        checked=counts["checked"],
        tokens_verified=counts["tokens"],
        server_cpu_s=(
            (edges["user1"] + edges["sys1"] - edges["user0"] - edges["sys0"]) * scale
            if pid is not None
            else None
        ),
        server_user_s=(edges["user1"] - edges["user0"]) * scale if pid is not None else None,
        generator_cpu_s=(edges["gen1"] - edges["gen0"]) * scale,
        peak_rss_kib=int(edges["rss"]) if pid is not None else None,
        peak_rss_reset=bool(edges.get("reset", 0.0)),
    )
