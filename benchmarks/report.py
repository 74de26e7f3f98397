"""Turning a finished run into ``latest.json`` and ``latest.md``."""

from __future__ import annotations

import re
from typing import Any

PRIMITIVE_LABELS = {
    "srp_server": "SRP server side of one USER_SRP_AUTH (srp.start + srp.verify_claim)",
    "check_password": "password check against a verifier (srp.check_password)",
    "make_verifier": "verifier creation at sign-up (srp.make_verifier)",
    "jwt_sign_rs256": "one RS256 JWT signature, RSA-2048 (cryptography)",
    "jwt_verify_rs256": "one RS256 JWT verification (cryptography)",
    "refresh_token_work": "refresh-token minting + SHA-256 (tokens.refresh)",
    "sigv4_verify": "SigV4 check (protocol.sigv4.verify)",
    "srp_client": "client SRP maths per sign-in (generator side, not a server cost)",
}


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _ratio(numerator: float | None, denominator: float | None) -> str:
    if not numerator or not denominator:
        return "–"
    return f"{numerator / denominator:.2f}×"


def render_markdown(data: dict[str, Any]) -> str:
    meta = data["meta"]
    out: list[str] = [f"# Poolgate benchmark ({meta['started']})", ""]
    out.append(f"Command: `{meta['command']}`")
    out.append("")
    load = meta["loadavg_start"], meta["loadavg_end"]
    out.append(
        f"Machine: {meta['cpus']} cores, shared; load average (1/5/15 min) "
        f"{'/'.join(f'{x:.2f}' for x in load[0])} at the start and {'/'.join(f'{x:.2f}' for x in load[1])} at the end. "
        f"Servers pinned to core {meta['server_core']}, generator to core {meta['generator_core']}. "
        f"Each cell: {meta['warmup_s']} s warm-up, then {meta['duration_s']} s measured; {meta['users']} users per pool."
    )
    out.append(f"Versions: {', '.join(f'{k} {v}' for k, v in meta['versions'].items())}.")
    out.append("")
    setup = [
        (
            f"Poolgate on {meta.get('database', 'sqlite')}, {meta.get('workers', 1)} worker(s) on core(s) "
            f"{meta.get('server_cores', meta['server_core'])}"
        )
    ]
    if meta.get("preloaded_users"):
        pre = data.get("preload") or {}
        setup.append(
            f"{meta['preloaded_users']:,} users preloaded into the pool through the store in "
            f"{pre.get('load_s', '?')} s ({pre.get('method', '?')}, {_fmt(pre.get('users_per_s'), 0)} users/s) "
            f"plus {pre.get('analyse_s', '?')} s of ANALYZE"
        )
    for server, start in data.get("startup", {}).items():
        line = f"{server} start-up: {start['first_answer_s']:.2f} s ({start['measured']}"
        if "target_s" in start:
            line += f"; target ≤ {start['target_s']} s"
        line += ")"
        if start.get("after_preload_s") is not None:
            line += f", {start['after_preload_s']:.2f} s when restarted after the preload"
        setup.append(line)
    out.append(". ".join(setup) + ".")
    out.append("")

    out.extend(render_summary(data))
    out.append("")
    out.append("## Crypto ceiling (one core)")
    out.append("")
    out.append("| primitive | µs per call |")
    out.append("|---|---:|")
    for name, seconds in data["crypto"]["costs"].items():
        out.append(f"| {PRIMITIVE_LABELS.get(name, name)} | {seconds * 1e6:,.1f} |")
    out.append("")

    generator = data.get("generator_check") or []
    if generator:
        out.append("## Generator check (do-nothing server)")
        out.append("")
        out.append("| request | conc | req/s | p50 ms | p99 ms | errors | generator CPU % |")
        out.append("|---|---:|---:|---:|---:|---:|---:|")
        for row in generator:
            out.append(
                f"| {row['scenario']} | {row['concurrency']} | {_fmt(row['ops_per_s'])} | {_fmt(row['p50_ms'], 2)} "
                f"| {_fmt(row['p99_ms'], 2)} | {row['errors']} | {_fmt(row['generator_cpu_percent'], 0)} |"
            )
        out.append("")

    floor = data.get("floor") or []
    if floor:
        bare = data["crypto"]["ceilings"]["admin_password_auth"]["ops_per_s"]
        out.append("## The stack's floor (a bare password sign-in)")
        out.append("")
        out.append(
            "benchmarks/floor_server.py on uvicorn + httptools + Starlette: SigV4 check, verifier check, one "
            "SQLite write (synchronous=FULL), two RS256 signatures, nothing else."
        )
        out.append("")
        out.append("| request | conc | ops/s | p50 ms | p99 ms | errors | server CPU % | ÷ ceiling |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for row in floor:
            out.append(
                f"| {row['scenario']} | {row['concurrency']} | {_fmt(row['ops_per_s'])} | {_fmt(row['p50_ms'], 2)} "
                f"| {_fmt(row['p99_ms'], 2)} | {row['errors']} | {_fmt(row['server_cpu_percent'], 0)} "
                f"| {row['ops_per_s'] / bare:.2f}× |"
            )
        out.append("")

    peers = [p for p in meta["servers"] if p != "poolgate"]
    for name, scenario in data["scenarios"].items():
        ceiling = data["crypto"]["ceilings"].get(name)
        out.append(f"## {name}")
        out.append("")
        line = scenario["description"]
        if ceiling:
            line += f". Crypto ceiling {ceiling['ops_per_s']:,.0f} ops/s = 1 / ({ceiling['formula']})"
        out.append(line + ".")
        if scenario["http_calls_per_op"] > 1:
            out.append(
                f"One op is {scenario['http_calls_per_op']} HTTP requests; latency is for the whole op."
            )
        out.append("")
        headers = [
            "server",
            "conc",
            "ops/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "errors",
            "server CPU %",
            "peak RSS MiB",
        ]
        headers += [f"÷ {p}" for p in peers] + ["÷ ceiling"]
        out.append("| " + " | ".join(headers) + " |")
        out.append("|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|")
        rows = scenario["rows"]
        by_key = {(r["server"], r["concurrency"]): r for r in rows}
        for row in rows:
            cells = [
                row["server"],
                str(row["concurrency"]),
                _fmt(row["ops_per_s"]),
                _fmt(row["p50_ms"], 2),
                _fmt(row["p95_ms"], 2),
                _fmt(row["p99_ms"], 2),
                str(row["errors"]),
                _fmt(row["server_cpu_percent"], 0),
                _fmt(row["peak_rss_mib"], 0),
            ]
            if row["server"] == "poolgate":
                for peer in peers:
                    other = by_key.get((peer, row["concurrency"]))
                    cells.append(_ratio(row["ops_per_s"], other["ops_per_s"] if other else None))
                cells.append(_ratio(row["ops_per_s"], ceiling["ops_per_s"] if ceiling else None))
            else:
                cells += [""] * (len(peers) + 1)
            out.append("| " + " | ".join(cells) + " |")
        checked: dict[str, list[int]] = {}
        for r in rows:
            totals = checked.setdefault(r["server"], [0, 0])
            totals[0] += r["answers_checked"]
            totals[1] += r["tokens_verified"]
        notes = [
            f"checked on every worker's first answer and every 25th after it: {scenario.get('check', '')}"
        ]
        notes += [
            f"{srv}: {a} answers checked, {t} tokens verified against the JWKS"
            if t
            else f"{srv}: {a} answers checked"
            for srv, (a, t) in checked.items()
        ]
        for srv, reason in scenario.get("skipped", {}).items():
            notes.append(f"{srv} skipped: {reason}")
        for srv, note in scenario.get("notes", {}).items():
            notes.append(f"{srv}: {note}")
        for row in rows:
            if row["error_samples"]:
                notes.append(
                    f"{row['server']} c={row['concurrency']} errors, e.g. `{row['error_samples'][0]}`"
                )
        out.append("")
        out.extend(f"- {n}" for n in notes)
        out.append("")
    notes = list(data.get("server_notes", []))
    for server, log in data.get("server_logs", {}).items():
        reasons = sorted(
            {line.strip() for line in log.splitlines() if re.match(r"^[\w.]+(Error|Exception): ", line)}
        )
        if reasons:
            notes.append(
                f"{server}'s log names the errors: " + "; ".join(f"`{r[:160]}`" for r in reasons[:3])
            )
    if notes:
        out.append("## Notes on the servers")
        out.append("")
        out.extend(f"- {n}" for n in notes)
        out.append("")
    return "\n".join(out)


def render_summary(data: dict[str, Any]) -> list[str]:
    """One line per scenario: Poolgate's ops/s at each concurrency, its p99 at the highest, the peers' best."""
    meta = data["meta"]
    concs = meta["concurrency"]
    peers = [p for p in meta["servers"] if p != "poolgate"]
    top = max(concs)
    headers = ["scenario", "ceiling"] + [f"Poolgate c={c}" for c in concs] + [f"Poolgate p99 ms c={top}"]
    headers += [f"{p} best" for p in peers] + ["Poolgate best ÷ ceiling"]
    out = [
        "## Summary (ops/s unless marked)",
        "",
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|",
    ]
    for name, scenario in data["scenarios"].items():
        rows = scenario["rows"]
        ceiling = data["crypto"]["ceilings"].get(name, {}).get("ops_per_s")
        mine = {r["concurrency"]: r for r in rows if r["server"] == "poolgate"}
        cells = [name, _fmt(ceiling, 0)]
        cells += [_fmt(mine[c]["ops_per_s"], 0) if c in mine else "–" for c in concs]
        cells.append(_fmt(mine[top]["p99_ms"], 0) if top in mine else "–")
        for peer in peers:
            best = max((r["ops_per_s"] for r in rows if r["server"] == peer), default=None)
            cells.append("skipped" if peer in scenario.get("skipped", {}) else _fmt(best, 0))
        best_mine = max((r["ops_per_s"] for r in mine.values()), default=None)
        cells.append(_ratio(best_mine, ceiling))
        out.append("| " + " | ".join(cells) + " |")
    return out
