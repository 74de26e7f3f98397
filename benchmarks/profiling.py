"""Sampling the server with py-spy during a scenario, and summarising the stacks.

py-spy reads the server's memory from outside, so it sees every thread
(Poolgate runs its database work in worker threads, which an in-process
profiler bound to the event-loop thread would miss). It runs with
``--nonblocking`` (the server is never paused, so throughput stays close to an
unprofiled run) and ``--idle`` (waiting threads are sampled too), which makes
the profile a wall-clock picture of every thread. The summary therefore first
sorts the samples of request-handling threads into waiting and working, then
breaks the working samples down by component and by function.

The raw output is one line per distinct stack, ``frame;frame;... count``, with
frames written as ``function (file:line)``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")

# Request threads doing nothing useful, recognised by the innermost frames that matter.
_WAITS = (
    ("waiting for the SQLite write lock (BEGIN IMMEDIATE in the busy handler)", ("on_begin",)),
    ("waiting for a pooled database connection (SQLAlchemy QueuePool)", ("QueuePool._do_get",)),
)
_IDLE_LEAVES = ("Condition.wait", "Queue.get", "select", "epoll", "Runner.run")

# Components of busy samples: the first rule that matches, walking from the leaf outwards.
_COMPONENTS = (
    ("SRP / verifier maths (gmpy2)", ("poolgate/srp/",)),
    ("RS256 signing (cryptography)", ("poolgate/tokens/jws.py",)),
    ("master-key encryption (security/crypto.py)", ("poolgate/security/crypto.py",)),
    ("SQLite executing statements", ("DefaultDialect.do_execute", "DefaultDialect.do_commit")),
    ("SQLAlchemy Core (statement building, compiling, results)", ("sqlalchemy/",)),
    ("protocol: parse, validate, serialize", ("poolgate/protocol/",)),
    ("Poolgate core and operations", ("poolgate/",)),
    (
        "thread-pool hand-off (anyio, threading)",
        ("anyio/", "starlette/concurrency.py", "threading.py", "queue.py"),
    ),
    ("HTTP and ASGI (uvicorn, starlette, httptools)", ("uvicorn/", "starlette/", "httptools")),
)


def py_spy() -> str | None:
    local = Path(sys.executable).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def start(pid: int, seconds: float, output: Path, rate: int = 200) -> subprocess.Popen[bytes]:
    """Start sampling ``pid`` for ``seconds`` into ``output`` (raw collapsed stacks)."""
    exe = py_spy()
    if exe is None:
        raise RuntimeError("py-spy is not installed (pip install -e '.[bench]')")
    argv = [
        exe,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, round(seconds))),
        "--rate",
        str(rate),
        "--format",
        "raw",
        "--nonblocking",
        "--idle",
        "--output",
        str(output),
    ]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _short(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match.group("file")
    for marker in ("site-packages/", "src/", "lib/python3.11/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match.group('func')} ({path})"


def _stacks(collapsed: Path) -> list[tuple[list[str], int]]:
    out = []
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = [_short(f) for f in stack.split(";") if f]
        frames = [f for f in frames if "(" in f]
        if frames:
            out.append((frames, int(count_text)))
    return out


def _is_idle(frames: list[str]) -> bool:
    leaf = frames[-1].split(" (", 1)[0]
    return any(leaf.startswith(name) for name in _IDLE_LEAVES)


def _component(frames: list[str]) -> str:
    for frame in reversed(frames):
        for label, needles in _COMPONENTS:
            if any(n in frame for n in needles):
                return label
    return "other"


def _table(counter: Counter[str], total: int, top: int) -> list[str]:
    return [f"{100 * n / total:6.1f}  {name}" for name, n in counter.most_common(top)]


def summarise(collapsed: Path, top: int = 15) -> str:
    """Where request threads spend their time, and what the busy samples are doing."""
    stacks = _stacks(collapsed)
    states: Counter[str] = Counter()
    components: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    request_total = busy = 0
    for frames, count in stacks:
        joined = ";".join(frames)
        in_request = "Pipeline._run" in joined
        if in_request:
            request_total += count
            for label, needles in _WAITS:
                if any(n in joined for n in needles):
                    states[label] += count
                    break
            else:
                states["working (everything else)"] += count
        waiting = in_request and any(n in joined for _, needles in _WAITS for n in needles)
        if waiting or _is_idle(frames):
            continue
        busy += count
        components[_component(frames)] += count
        leaves[frames[-1]] += count
    if not stacks:
        return "no samples\n"
    lines = [f"{sum(c for _, c in stacks)} samples, {busy} of them busy", ""]
    if request_total:
        lines += ["% of request-thread samples (wall clock)"]
        lines += _table(states, request_total, top)
        lines.append("")
    if busy:
        lines += ["% of busy samples, by component"]
        lines += _table(components, busy, top)
        lines += ["", "% of busy samples, by leaf function"]
        lines += _table(leaves, busy, top)
    return "\n".join(lines) + "\n"


def main() -> None:
    """``python -m benchmarks.profiling FILE.collapsed ...``: print the summary of saved profiles."""
    for name in sys.argv[1:]:
        print(f"== {name}")
        print(summarise(Path(name)))


if __name__ == "__main__":
    main()
