"""Side-by-side benchmark of Poolgate, moto and ministack (see benchmarks/README.md).

.venv/bin/python -m benchmarks              # full run, writes benchmarks/results/latest.{md,json}
.venv/bin/python -m benchmarks --smoke      # ~1 s per scenario, Poolgate only; exit 1 on any error
.venv/bin/python -m benchmarks --growth --duration 3 --concurrency 1,32
                                            # 1,000 vs 1,000,000 preloaded users, SQLite and PostgreSQL
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import copy
import datetime
import importlib.metadata
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import ceiling, database, growth, profiling, servers
from benchmarks.load import CellResult, run_cell
from benchmarks.report import render_markdown
from benchmarks.scenarios import SCENARIOS, PoolEnv, create_pool, prepare
from benchmarks.wire import Api

RESULTS = Path(__file__).resolve().parent / "results"
ALL_PEERS = ("moto", "ministack")
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
STARTUP_TARGET_S = 1.5


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="every scenario ~1 s at concurrency 1 against Poolgate only; exit 1 on any error",
    )
    parser.add_argument("--duration", type=float, help="measured seconds per cell [5; smoke 1]")
    parser.add_argument("--warmup", type=float, help="unmeasured seconds before each cell [1; smoke 0.3]")
    parser.add_argument("--scenarios", help=f"comma-separated subset of {','.join(SCENARIOS)}")
    parser.add_argument("--concurrency", help="comma-separated worker counts [1,8,32; smoke 1]")
    parser.add_argument(
        "--peers", help="comma-separated peers to compare with, or 'none' [moto,ministack; smoke none]"
    )
    parser.add_argument("--users", type=int, help="users per pool [200; smoke 16]")
    parser.add_argument("--no-generator-check", action="store_true", help="skip the do-nothing-server run")
    parser.add_argument(
        "--no-floor", action="store_true", help="skip the bare-sign-in run (benchmarks/floor_server.py)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also sample Poolgate with py-spy under --profile-scenarios (results/profiles/)",
    )
    parser.add_argument("--profile-scenarios", default="user_password_auth,refresh")
    parser.add_argument(
        "--profile-concurrency", default="1,32", help="worker counts for the profiled runs [1,32]"
    )
    parser.add_argument(
        "--poolgate-src",
        type=Path,
        help="run the Poolgate server from this src folder (e.g. a `git archive` export) "
        "instead of the installed package",
    )
    parser.add_argument(
        "--preload",
        type=int,
        default=0,
        metavar="N",
        help="growth mode: load N extra users straight into Poolgate's pool through its store "
        "(server stopped, then restarted) before the measured users are created [0]",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="run Poolgate on PostgreSQL: a fresh database is created beside the one URL names "
        f"and dropped afterwards, e.g. {DEFAULT_POSTGRES} [SQLite in a temporary folder]",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="`poolgate serve --workers N`, pinned to N cores from --server-core on [1]",
    )
    parser.add_argument(
        "--growth",
        action="store_true",
        help="run Poolgate at each --growth-sizes preload on each --growth-databases and write "
        "results/growth.{md,json} with the ratios (peers: none, no generator check)",
    )
    parser.add_argument(
        "--growth-sizes", default="1000,1000000", help="preloaded users to compare [1000,1000000]"
    )
    parser.add_argument(
        "--growth-databases",
        default="sqlite,postgresql",
        help=f"databases for --growth; postgresql uses --database-url or {DEFAULT_POSTGRES}",
    )
    parser.add_argument("--server-core", type=int, default=0)
    parser.add_argument("--generator-core", type=int, default=1)
    parser.add_argument(
        "--output", type=Path, help="file stem for the .md and .json [results/latest; smoke results/smoke]"
    )
    args = parser.parse_args(argv)
    smoke = args.smoke
    args.duration = args.duration or (1.0 if smoke else 5.0)
    args.warmup = args.warmup if args.warmup is not None else (0.3 if smoke else 1.0)
    args.scenarios = [s for s in (args.scenarios or ",".join(SCENARIOS)).split(",") if s]
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    args.concurrency = [int(c) for c in (args.concurrency or ("1" if smoke else "1,8,32")).split(",")]
    peers_text = args.peers or ("none" if smoke else ",".join(ALL_PEERS))
    args.peers = [] if peers_text == "none" else [p for p in peers_text.split(",") if p]
    if bad := [p for p in args.peers if p not in ALL_PEERS]:
        parser.error(f"unknown peer(s): {', '.join(bad)}")
    args.users = args.users or (16 if smoke else 200)
    if max(args.concurrency) > args.users:
        parser.error("--users must be at least the highest concurrency, so workers sign in distinct users")
    args.profile_scenarios = [s for s in args.profile_scenarios.split(",") if s]
    args.profile_concurrency = [int(c) for c in args.profile_concurrency.split(",") if c]
    if args.database_url and not database.is_postgres(args.database_url):
        parser.error("--database-url must be a postgresql URL (SQLite is the default)")
    if args.preload < 0 or args.workers < 1:
        parser.error("--preload must be at least 0 and --workers at least 1")
    args.growth_sizes = [int(n) for n in args.growth_sizes.split(",") if n]
    args.growth_databases = [d for d in args.growth_databases.split(",") if d]
    if bad := [d for d in args.growth_databases if d not in ("sqlite", "postgresql")]:
        parser.error(f"unknown database(s): {', '.join(bad)}")
    if args.growth:
        args.peers = []
        args.no_generator_check = True
        args.no_floor = True
    args.output = args.output or RESULTS / ("growth" if args.growth else "smoke" if smoke else "latest")
    return args


def _pin(core: int | None) -> int | None:
    """Move this process to ``core`` if the machine has it; return the core used, or None."""
    if core is None or not hasattr(os, "sched_setaffinity") or core >= (os.cpu_count() or 1):
        return None
    try:
        os.sched_setaffinity(0, {core})
    except OSError:
        return None
    return core


def _versions(poolgate_src: Path | None) -> dict[str, str]:
    out: dict[str, str] = {"python": sys.version.split()[0]}
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=servers.REPO,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            cwd=servers.REPO,
            check=True,
        ).stdout.strip()
        if poolgate_src is not None:
            out["poolgate"] = f"{sha} (server run from {poolgate_src})"
        else:
            out["poolgate"] = sha + (" + uncommitted changes in src/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        out["poolgate"] = importlib.metadata.version("poolgate")
    for name in ("moto", "botocore", "gmpy2", "cryptography"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            out[name] = importlib.metadata.version(name)
    command = servers.ministack_command()
    if command:
        python = Path(command[0]).parent / "python"
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out["ministack"] = subprocess.run(
                [str(python), "-c", "import importlib.metadata as m; print(m.version('ministack'))"],
                capture_output=True,
                text=True,
                check=True,
                timeout=30,
            ).stdout.strip()
    return out


async def generator_check(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Drive the do-nothing server with an unsigned and a signed request at each concurrency."""
    server = servers.start_null(args.server_core)
    try:
        api = Api(server.endpoint)
        params = {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": "c" * 26,
            "AuthParameters": {"USERNAME": "user0000", "PASSWORD": "Bench-Passw0rd!42"},
        }
        rows = []
        for label, signed in (("unsigned InitiateAuth", False), ("SigV4-signed AdminInitiateAuth", True)):

            async def op(conn: Any, user: int, worker: int, signed: bool = signed) -> Any:
                return await api.call(
                    conn, "AdminInitiateAuth" if signed else "InitiateAuth", params, signed=signed
                )

            for conc in args.concurrency:
                cell = await run_cell(
                    server="null",
                    scenario=label,
                    host=server.endpoint.host,
                    port=server.endpoint.port,
                    pid=server.pid,
                    op=op,
                    check=None,
                    n_users=args.users,
                    concurrency=conc,
                    duration=min(args.duration, 3.0),
                    warmup=min(args.warmup, 0.5),
                )
                rows.append(cell.summary())
                _progress(cell)
        return rows
    finally:
        server.stop()


async def floor_check(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Drive ``benchmarks.floor_server`` (a password sign-in with only its unavoidable work, on
    Poolgate's stack) with signed ADMIN_USER_PASSWORD_AUTH at each concurrency."""
    server = servers.start_floor(args.server_core)
    try:
        api = Api(server.endpoint)
        rows = []

        async def op(conn: Any, user: int, worker: int) -> Any:
            params = {
                "UserPoolId": ceiling.POOL_ID,
                "ClientId": "c" * 26,
                "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": f"user{user % 200:04d}", "PASSWORD": ceiling.PASSWORD},
            }
            return await api.call(conn, "AdminInitiateAuth", params, signed=True)

        for conc in args.concurrency:
            cell = await run_cell(
                server="floor",
                scenario="admin_password_auth (bare)",
                host=server.endpoint.host,
                port=server.endpoint.port,
                pid=server.pid,
                op=op,
                check=None,
                n_users=args.users,
                concurrency=conc,
                duration=args.duration,
                warmup=args.warmup,
            )
            rows.append(cell.summary())
            _progress(cell)
        return rows
    finally:
        server.stop()


def _progress(cell: CellResult) -> None:
    s = cell.summary()
    print(
        f"  {s['server']:<9} {s['scenario']:<30} c={s['concurrency']:<3} {s['ops_per_s']:>9.1f} ops/s  "
        f"p50 {s['p50_ms'] or 0:7.2f} ms  p99 {s['p99_ms'] or 0:7.2f} ms  err {s['errors_total']:<4} "
        f"server {s['server_cpu_percent'] or 0:5.0f}%  gen {s['generator_cpu_percent'] or 0:4.0f}%",
        flush=True,
    )


async def _probe(env: PoolEnv, name: str) -> str | None:
    """Try one operation before measuring; return why the server cannot do it, or None."""
    scenario = SCENARIOS[name]
    conn = env.connection()
    try:
        result = await scenario.op(env, conn, 0, 0)
        scenario.check(env, result, 0)
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means the server cannot do this scenario
        return f"{type(exc).__name__}: {exc}"[:300]
    finally:
        conn.close()


async def bench_server(name: str, args: argparse.Namespace, data: dict[str, Any]) -> bool:
    """Measure every scenario on one server; return False if Poolgate had any error."""
    ok = True
    cores = servers.core_list(args.server_core, args.workers if name == "poolgate" else 1)
    print(f"{name}: starting (pinned to core {cores})", flush=True)
    pool: tuple[str, str] | None = None
    try:
        if name == "poolgate":
            server, pool = await _start_poolgate(args, data)
        else:
            server = servers.STARTERS[name](args.server_core)
            data["startup"][name] = {
                "first_answer_s": round(server.startup_s or 0, 3),
                "measured": "port accepting a connection",
            }
            print(f"  listening {server.startup_s:.2f} s after starting", flush=True)
    except servers.ServerFailed as exc:
        data["server_notes"].append(f"{name} could not be started: {exc}".splitlines()[0])
        print(f"  {name} could not be started: {exc}", flush=True)
        return name != "poolgate"
    data["server_notes"].extend(f"{name}: {n}" for n in server.notes)
    try:
        t0 = time.perf_counter()
        try:
            env = await prepare(server, args.users, pool)
        except Exception as exc:  # noqa: BLE001 - reported, and the next server still runs
            data["server_notes"].append(f"{name}: setup failed, so every scenario was skipped: {exc}")
            print(f"  setup failed: {exc}\n{server.log_tail()}", flush=True)
            return name != "poolgate"
        print(f"  setup of {args.users} users took {time.perf_counter() - t0:.1f} s", flush=True)
        for scenario_name in args.scenarios:
            entry = data["scenarios"][scenario_name]
            reason = await _probe(env, scenario_name)
            if reason is not None:
                entry["skipped"][name] = reason
                print(f"  {scenario_name}: skipped ({reason})", flush=True)
                ok = ok and name != "poolgate"
                continue
            for conc in args.concurrency:
                cell = await _measure(env, scenario_name, conc, args.duration, args.warmup)
                entry["rows"].append(cell.summary())
                _progress(cell)
                if name == "poolgate" and (cell.errors_total or not cell.checked):
                    ok = False
            if args.profile and name == "poolgate" and scenario_name in args.profile_scenarios:
                for conc in args.profile_concurrency:
                    data["profiles"].append(await _profile(env, scenario_name, conc, args))
        if not server.alive():
            data["server_notes"].append(f"{name} died during the run")
            ok = ok and name != "poolgate"
        failed = any(
            r["errors_total"] for s in data["scenarios"].values() for r in s["rows"] if r["server"] == name
        )
        if failed or not server.alive():
            # The server's own log says why it answered with errors; keep its end beside the results.
            data["server_logs"][name] = server.log_tail(80)
    finally:
        server.stop()
    return ok


def _master_key_text() -> str:
    """A fresh master key in the form POOLGATE_MASTER_KEY takes (32 bytes, URL-safe base64)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")


async def _start_poolgate(
    args: argparse.Namespace, data: dict[str, Any]
) -> tuple[servers.Server, tuple[str, str] | None]:
    """Start Poolgate; in growth mode create the pool, stop, preload, and start it again.

    Returns the server and, in growth mode, the pool and client the measured users go into.
    """
    options = servers.PoolgateOptions(
        workers=args.workers, database_url=args.server_database_url, master_key=_master_key_text()
    )
    server = servers.start_poolgate(args.server_core, options=options)
    startup: dict[str, Any] = {
        "first_answer_s": round(server.startup_s or 0, 3),
        "measured": "process start to the first 200 from GET /health",
        "target_s": STARTUP_TARGET_S,
    }
    data["startup"]["poolgate"] = startup
    print(
        f"  answered GET /health {server.startup_s:.2f} s after starting (target ≤ {STARTUP_TARGET_S} s)",
        flush=True,
    )
    if not args.preload:
        return server, None
    try:
        pool = await create_pool(server)
    except Exception:
        server.stop()
        raise
    workdir, port = server.workdir, server.endpoint.port
    server.stop(keep_data=True)
    url = options.database_url or f"sqlite:///{(workdir / 'data' / 'poolgate.sqlite3').resolve()}"
    print(f"  preloading {args.preload:,} users into {pool[0]} (server stopped)", flush=True)
    try:
        data["preload"] = await asyncio.to_thread(
            _run_preloader, url, options.master_key or "", pool[0], args.preload
        )
    except Exception:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    server = servers.start_poolgate(args.server_core, options=options, workdir=workdir, port=port)
    startup["after_preload_s"] = round(server.startup_s or 0, 3)
    print(
        f"  restarted: answered GET /health {server.startup_s:.2f} s after starting with "
        f"{args.preload:,} users in the pool",
        flush=True,
    )
    return server, pool


def _run_preloader(url: str, master_key: str, pool_id: str, count: int) -> dict[str, Any]:
    """``python -m benchmarks.preload`` in its own process (same Poolgate as the server)."""
    env = dict(os.environ)
    paths = [str(servers.POOLGATE_SRC)] if servers.POOLGATE_SRC else []
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [*paths, str(servers.REPO), env.get("PYTHONPATH", "")]))
    env["POOLGATE_MASTER_KEY"] = master_key
    argv = [
        sys.executable,
        "-m",
        "benchmarks.preload",
        "--database-url",
        url,
        "--pool-id",
        pool_id,
        "--count",
        str(count),
        "--json",
    ]
    result: dict[str, Any] | None = None
    with subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=servers.REPO
    ) as process:
        assert process.stdout is not None
        tail: list[str] = []
        for line in process.stdout:
            if line.startswith("PRELOAD-RESULT "):
                result = json.loads(line.split(" ", 1)[1])
            else:
                print(line, end="", flush=True)
                tail = [*tail, line][-20:]
    if process.returncode != 0 or result is None:
        raise servers.ServerFailed(f"the preloader failed ({process.returncode}):\n{''.join(tail)}")
    return result


async def _profile(env: PoolEnv, scenario_name: str, conc: int, args: argparse.Namespace) -> dict[str, Any]:
    """Measure once more with py-spy attached; the numbers go to the JSON only, not the tables."""
    folder = RESULTS / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"{scenario_name}-c{conc}"
    collapsed = stem.with_suffix(".collapsed")
    duration = max(args.duration, 5.0)
    sampler = profiling.start(env.server.pid, args.warmup + duration, collapsed)
    cell = await _measure(env, scenario_name, conc, duration, args.warmup)
    _, err = await asyncio.to_thread(sampler.communicate)
    if collapsed.exists():
        summary = profiling.summarise(collapsed)
    else:
        summary = f"py-spy failed: {err.decode(errors='replace')[-500:]}\n"
    s = cell.summary()
    header = (
        f"{scenario_name} at concurrency {conc} under py-spy: {s['ops_per_s']} ops/s, p50 {s['p50_ms']} ms, "
        f"p99 {s['p99_ms']} ms, server CPU {s['server_cpu_percent']}% ({s['server_user_percent']}% user, "
        f"{s['server_system_percent']}% system)\n\n"
    )
    stem.with_suffix(".txt").write_text(header + summary)
    _progress(cell)
    print(f"  profile written to {stem.with_suffix('.txt')}", flush=True)
    return {
        "scenario": scenario_name,
        "concurrency": conc,
        "run_under_profiler": s,
        "summary_file": str(stem.with_suffix(".txt")),
    }


async def _measure(env: PoolEnv, scenario_name: str, conc: int, duration: float, warmup: float) -> CellResult:
    scenario = SCENARIOS[scenario_name]
    return await run_cell(
        server=env.server.name,
        scenario=scenario_name,
        host=env.server.endpoint.host,
        port=env.server.endpoint.port,
        pid=env.server.pid,
        op=lambda conn, user, worker: scenario.op(env, conn, user, worker),
        check=lambda result, user: scenario.check(env, result, user),
        n_users=len(env.users),
        concurrency=conc,
        duration=duration,
        warmup=warmup,
        http_calls_per_op=scenario.http_calls,
    )


def _cores(args: argparse.Namespace) -> tuple[int | None, int | None]:
    """Pin this process to the generator core; return (server core, generator core) as usable here."""
    servers.POOLGATE_SRC = args.poolgate_src.resolve() if args.poolgate_src else None
    generator_core = _pin(args.generator_core)
    server_core = args.server_core if (os.cpu_count() or 1) > args.server_core else None
    args.server_core = server_core
    return server_core, generator_core


def _new_data(
    args: argparse.Namespace, argv: list[str], server_core: int | None, generator_core: int | None
) -> dict[str, Any]:
    started = datetime.datetime.now(datetime.UTC)
    data: dict[str, Any] = {
        "meta": {
            "started": started.strftime("%Y-%m-%d %H:%M UTC"),
            "command": shlex.join(["python", "-m", "benchmarks", *argv]),
            "cpus": os.cpu_count(),
            "loadavg_start": list(os.getloadavg()),
            "server_core": server_core,
            "generator_core": generator_core,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "users": args.users,
            "preloaded_users": args.preload,
            "database": "postgresql" if args.database_url else "sqlite",
            "workers": args.workers,
            "server_cores": servers.core_list(server_core, args.workers),
            "concurrency": args.concurrency,
            "servers": ["poolgate", *args.peers],
            "versions": _versions(args.poolgate_src),
        },
        "crypto": {},
        "generator_check": [],
        "scenarios": {
            name: {
                "description": SCENARIOS[name].description,
                "http_calls_per_op": SCENARIOS[name].http_calls,
                "check": SCENARIOS[name].check_description,
                "rows": [],
                "skipped": {},
                "notes": {},
            }
            for name in args.scenarios
        },
        "server_notes": [],
        "server_logs": {},
        "profiles": [],
        "startup": {},
    }
    if args.preload and args.peers:
        data["server_notes"].append(
            f"only Poolgate's pool holds the {args.preload:,} preloaded users; the peers' pools hold the measured ones only"
        )
    if (
        args.workers > 1
        and generator_core is not None
        and server_core is not None
        and server_core <= generator_core < server_core + args.workers
    ):
        data["server_notes"].append(
            f"poolgate: its {args.workers} workers share core {generator_core} with the load generator"
        )
    return data


def _crypto(args: argparse.Namespace, server_core: int | None, generator_core: int | None) -> dict[str, Any]:
    print("crypto micro-benchmarks (on the server core)", flush=True)
    if server_core is not None:
        _pin(server_core)
    costs = ceiling.measure(budget=0.15 if args.smoke else 0.8)
    if generator_core is not None:
        _pin(generator_core)
    for key, value in costs.items():
        print(f"  {key:<20} {value * 1e6:10.1f} µs", flush=True)
    return {"costs": costs, "ceilings": ceiling.ceilings(costs)}


def _write(data: dict[str, Any], output: Path) -> None:
    data["meta"]["loadavg_end"] = list(os.getloadavg())
    data["meta"]["finished"] = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.with_suffix(".json").write_text(json.dumps(data, indent=1) + "\n")
    output.with_suffix(".md").write_text(render_markdown(data))
    print(f"wrote {output.with_suffix('.md')} and .json", flush=True)


async def run(args: argparse.Namespace, argv: list[str]) -> int:
    server_core, generator_core = _cores(args)
    data = _new_data(args, argv, server_core, generator_core)
    data["crypto"] = _crypto(args, server_core, generator_core)

    if not args.no_generator_check:
        print("generator check against the do-nothing server", flush=True)
        data["generator_check"] = await generator_check(args)
    if "admin_password_auth" in args.scenarios and not args.no_floor:
        print("the stack's floor: a bare password sign-in (benchmarks/floor_server.py)", flush=True)
        data["floor"] = await floor_check(args)

    ok = True
    with contextlib.ExitStack() as stack:
        args.server_database_url = (
            stack.enter_context(database.fresh_database(args.database_url)) if args.database_url else None
        )
        if args.server_database_url:
            print(
                f"poolgate: on PostgreSQL, fresh database {args.server_database_url.rsplit('/', 1)[-1]}",
                flush=True,
            )
        for name in ["poolgate", *args.peers]:
            ok = await bench_server(name, args, data) and ok

    _write(data, args.output)
    if not ok:
        print("Poolgate answered with errors or could not run a scenario; see the report.", file=sys.stderr)
    return 0 if ok else 1


async def run_growth(args: argparse.Namespace, argv: list[str]) -> int:
    """Growth mode: per database, one Poolgate per preload size, all running at once, measured
    cell by cell in alternating order (small, big, then big, small, ...), so a busy neighbour
    on the shared machine weighs on every size alike; then the comparison table."""
    server_core, generator_core = _cores(args)
    crypto = _crypto(args, server_core, generator_core)
    runs: list[dict[str, Any]] = []
    ok = True
    folder = args.output.parent / "growth"
    for db in args.growth_databases:
        print(
            f"\n=== growth on {db}: {', '.join(f'{n:,}' for n in args.growth_sizes)} users preloaded ===",
            flush=True,
        )
        subs: dict[int, argparse.Namespace] = {}
        datas: dict[int, dict[str, Any]] = {}
        envs: dict[int, PoolEnv] = {}
        with contextlib.ExitStack() as stack:
            try:
                for size in args.growth_sizes:
                    sub = copy.copy(args)
                    sub.growth, sub.preload = False, size
                    sub.database_url = (args.database_url or DEFAULT_POSTGRES) if db == "postgresql" else None
                    sub.server_database_url = (
                        stack.enter_context(database.fresh_database(sub.database_url))
                        if sub.database_url
                        else None
                    )
                    sub.output = folder / f"{db}-{size}"
                    subs[size] = sub
                    data = datas[size] = _new_data(
                        sub, [*argv, f"(growth run: {db}, --preload {size})"], server_core, generator_core
                    )
                    data["crypto"] = crypto
                    data["server_notes"].append(
                        f"growth mode: measured alternately with the {', '.join(f'{n:,}' for n in args.growth_sizes)}"
                        "-user servers, which ran at the same time (idle while not measured)"
                    )
                    print(
                        f"poolgate with {size:,} preloaded users: starting (pinned to core {server_core})",
                        flush=True,
                    )
                    server, pool = await _start_poolgate(sub, data)
                    stack.callback(server.stop)
                    t0 = time.perf_counter()
                    envs[size] = await prepare(server, args.users, pool)
                    print(f"  setup of {args.users} users took {time.perf_counter() - t0:.1f} s", flush=True)
                turn = 0
                for name in args.scenarios:
                    live = []
                    for size in args.growth_sizes:
                        reason = await _probe(envs[size], name)
                        if reason is None:
                            live.append(size)
                        else:
                            datas[size]["scenarios"][name]["skipped"]["poolgate"] = reason
                            print(f"  {name} at {size:,}: skipped ({reason})", flush=True)
                            ok = False
                    for conc in args.concurrency:
                        order = live if turn % 2 == 0 else live[::-1]
                        turn += 1
                        for size in order:
                            cell = await _measure(envs[size], name, conc, args.duration, args.warmup)
                            row = cell.summary()
                            row["preloaded"] = size
                            datas[size]["scenarios"][name]["rows"].append(row)
                            print(f"  [{size:>9,}]", end="", flush=True)
                            _progress(cell)
                            if cell.errors_total or not cell.checked:
                                ok = False
                for size, env in envs.items():
                    if not env.server.alive():
                        datas[size]["server_notes"].append("poolgate died during the run")
                        ok = False
                    if not env.server.alive() or any(
                        r["errors_total"] for sc in datas[size]["scenarios"].values() for r in sc["rows"]
                    ):
                        datas[size]["server_logs"]["poolgate"] = env.server.log_tail(80)
            except (servers.ServerFailed, OSError) as exc:
                print(f"  growth run on {db} failed: {exc}", flush=True)
                ok = False
                for data in datas.values():
                    data["server_notes"].append(f"the growth run on {db} failed: {str(exc).splitlines()[0]}")
        for size, data in datas.items():
            _write(data, subs[size].output)
            runs.append(
                {
                    "database": db,
                    "preloaded": size,
                    "file": str(subs[size].output.with_suffix(".json")),
                    "data": data,
                }
            )
    summary = growth.summarise(runs, command=shlex.join(["python", "-m", "benchmarks", *argv]))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.with_suffix(".json").write_text(json.dumps(summary, indent=1) + "\n")
    args.output.with_suffix(".md").write_text(growth.render(summary))
    print(f"wrote {args.output.with_suffix('.md')} and .json", flush=True)
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    entry = run_growth if args.growth else run
    try:
        import uvloop
    except ImportError:
        return asyncio.run(entry(args, argv))
    return uvloop.run(entry(args, argv))


if __name__ == "__main__":
    sys.exit(main())
