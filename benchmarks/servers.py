"""Starting the servers under test, each pinned to the server core, and reading their /proc figures.

Every server runs as its own process started through ``taskset -c <core>``
(taskset execs the command, so the child's pid is the server's pid). The
benchmark measures CPU time and peak resident memory of exactly that pid.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.wire import Endpoint

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
MINISTACK_VENV = Path(__file__).resolve().parent / ".venv-ministack"
_CLK_TCK = os.sysconf("SC_CLK_TCK")


class ServerFailed(RuntimeError):
    """A server did not come up; the message carries the end of its log."""


@dataclass
class Server:
    """A running server process and how to talk to it."""

    name: str
    endpoint: Endpoint
    process: subprocess.Popen[bytes]
    log_path: Path
    workdir: Path
    issuer: Callable[[str], str]
    notes: list[str] = field(default_factory=list)
    # Seconds from starting the process to its first answer (Poolgate: GET /health; peers: the
    # port accepting a connection).
    startup_s: float | None = None
    # moto gives a UUID as USER_ID_FOR_SRP but looks PASSWORD_VERIFIER's USERNAME up by name.
    srp_username_is_login_name: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def jwks_path(self, pool_id: str) -> str:
        return f"/{pool_id}/.well-known/jwks.json"

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, *, keep_data: bool = False) -> None:
        """Terminate the server; remove its working folder unless ``keep_data``."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if not keep_data:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# --- /proc ------------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    """Child pids of ``pid`` (all its threads' children), from /proc/<pid>/task/*/children."""
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return out


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (a ``serve --workers N`` supervisor and its workers)."""
    seen: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        todo.extend(_children(current))
    return seen


def _cpu_one(pid: int) -> tuple[float, float]:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After the command name the fields start at "state" (field 3); utime and stime are fields 14 and 15.
    return int(fields[11]) / _CLK_TCK, int(fields[12]) / _CLK_TCK


def cpu_seconds(pid: int) -> tuple[float, float]:
    """User and system CPU time of a process and its descendants (all threads), in seconds.

    Descendants count only while they are alive; a worker that exits takes its time with it.
    """
    user = system = 0.0
    for member in process_tree(pid):
        try:
            u, s = _cpu_one(member)
        except OSError:
            continue
        user += u
        system += s
    return user, system


def _hwm_one(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def peak_rss_kib(pid: int) -> int:
    """The peak resident set size (VmHWM) in KiB of the process, or with workers of the
    largest process in its tree (the target is per worker)."""
    peaks = []
    for member in process_tree(pid):
        try:
            peaks.append(_hwm_one(member))
        except OSError:
            continue
    return max(peaks, default=0)


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux clear_refs "5") in the whole tree; False if refused."""
    ok = True
    for member in process_tree(pid):
        try:
            with open(f"/proc/{member}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            ok = False
    return ok


# --- starting ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _pinned(core: int | str | None, argv: list[str]) -> list[str]:
    """Prefix ``argv`` with ``taskset -c <core>``; ``core`` may be a list such as ``"0-1"``."""
    if core is None or shutil.which("taskset") is None:
        return argv
    return ["taskset", "-c", str(core), *argv]


def core_list(first: int | None, count: int) -> str | None:
    """taskset's list for ``count`` cores starting at ``first`` (capped at the machine's cores)."""
    if first is None:
        return None
    last = min(first + max(count, 1), os.cpu_count() or 1) - 1
    return str(first) if last <= first else f"{first}-{last}"


def _spawn(argv: list[str], env: dict[str, str], workdir: Path) -> tuple[subprocess.Popen[bytes], Path]:
    log_path = workdir / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=workdir
        )
    return process, log_path


def _wait_for_port(process: subprocess.Popen[bytes], port: int, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerFailed(
                f"exited with {process.returncode}:\n{log_path.read_text(errors='replace')[-2000:]}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.01)
    process.kill()
    raise ServerFailed(
        f"not listening on {port} after {timeout:.0f} s:\n{log_path.read_text(errors='replace')[-2000:]}"
    )


POOLGATE_SRC: Path | None = None
"""A ``src`` folder to import Poolgate from instead of the installed one (``--poolgate-src``)."""


@dataclass
class PoolgateOptions:
    """How the benchmark runs ``poolgate serve``."""

    workers: int = 1
    # None: SQLite in the server's data folder.
    database_url: str | None = None
    # Given to the server as POOLGATE_MASTER_KEY, so the preloader can encrypt with it.
    master_key: str | None = None


def _first_health(process: subprocess.Popen[bytes], port: int, log_path: Path, deadline: float) -> None:
    """Return once ``GET /health`` on ``port`` answers 200; poll every 5 ms until then.

    ``serve`` binds and listens before it opens the database, so a connection made early
    waits in the backlog and its answer is the server's first.
    """
    request = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    while True:
        if process.poll() is not None:
            raise ServerFailed(
                f"poolgate exited with {process.returncode}:\n{log_path.read_text(errors='replace')[-2000:]}"
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            process.kill()
            raise ServerFailed(
                f"poolgate did not answer /health in time:\n{log_path.read_text(errors='replace')[-2000:]}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=min(remaining, 5.0)) as sock:
                sock.sendall(request)
                answer = b""
                while chunk := sock.recv(4096):
                    answer += chunk
            if answer.startswith(b"HTTP/1.1 200"):
                return
        except OSError:
            pass
        time.sleep(0.005)


def start_poolgate(
    core: int | None,
    timeout: float = 90.0,
    *,
    options: PoolgateOptions | None = None,
    workdir: Path | None = None,
    port: int | None = None,
) -> Server:
    """``poolgate serve --port <free port> --data <tmp>`` with one access key in POOLGATE_ACCESS_KEYS.

    With ``workers`` > 1 the server is pinned to that many cores from ``core`` on. Given
    ``workdir`` and ``port`` (a restart in growth mode), it reuses the data folder and the
    URL, so the issuer of the tokens stays the same. ``startup_s`` is the time from
    starting the process to the first answer of ``GET /health``.
    """
    options = options or PoolgateOptions()
    workdir = workdir or Path(tempfile.mkdtemp(prefix="bench-poolgate-"))
    port = port or _free_port()
    endpoint = Endpoint("127.0.0.1", port)
    env = dict(os.environ)
    if POOLGATE_SRC is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(POOLGATE_SRC), env.get("PYTHONPATH", "")]))
    env["POOLGATE_ACCESS_KEYS"] = f"{endpoint.access_key_id}:{endpoint.secret_access_key}"
    for name in (
        "POOLGATE_DEV",
        "POOLGATE_TESTING",
        "POOLGATE_PUBLIC_URL",
        "POOLGATE_DATABASE_URL",
        "POOLGATE_MASTER_KEY",
        "POOLGATE_MASTER_KEY_FILE",
        "POOLGATE_WORKERS",
    ):
        env.pop(name, None)
    if options.master_key:
        env["POOLGATE_MASTER_KEY"] = options.master_key
    if options.database_url:
        env["POOLGATE_DATABASE_URL"] = options.database_url
    base = endpoint.url
    argv = [
        sys.executable,
        "-m",
        "poolgate",
        "serve",
        "--port",
        str(port),
        "--public-url",
        base,
        "--data",
        str(workdir / "data"),
        "--log-level",
        "warning",
        "--workers",
        str(options.workers),
    ]
    cores = core_list(core, options.workers)
    started = time.perf_counter()
    process, log_path = _spawn(_pinned(cores, argv), env, workdir)
    _first_health(process, port, log_path, time.monotonic() + timeout)
    startup_s = time.perf_counter() - started
    notes = []
    if options.workers > 1:
        notes.append(
            f"{options.workers} workers pinned to cores {cores}; CPU % sums the supervisor and its "
            "workers, peak RSS is the largest process's"
        )
    return Server(
        "poolgate",
        endpoint,
        process,
        log_path,
        workdir,
        issuer=lambda pool_id: f"{base}/{pool_id}",
        notes=notes,
        startup_s=startup_s,
    )


def _aws_issuer(region: str) -> Callable[[str], str]:
    return lambda pool_id: f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


MOTO_SRP_NOTE = (
    "moto fakes SRP: SALT, SRP_B and SECRET_BLOCK are random UUIDs and PASSWORD_CLAIM_SIGNATURE is never "
    "checked, so its user_srp_auth costs no SRP maths on the server; it also answers USER_ID_FOR_SRP with "
    "a UUID it cannot look up, so the benchmark sends the sign-in name as USERNAME there"
)


def start_moto(core: int | None, timeout: float = 60.0) -> Server:
    """moto's standalone server (``moto_server``, werkzeug, threaded) on a free port."""
    executable = VENV_BIN / "moto_server"
    if not executable.exists():
        raise ServerFailed("moto_server is not installed (pip install -e '.[bench]')")
    workdir = Path(tempfile.mkdtemp(prefix="bench-moto-"))
    port = _free_port()
    env = dict(os.environ)
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    started = time.perf_counter()
    process, log_path = _spawn(
        _pinned(core, [str(executable), "-H", "127.0.0.1", "-p", str(port)]), env, workdir
    )
    _wait_for_port(process, port, log_path, timeout)
    return Server(
        "moto",
        Endpoint("127.0.0.1", port),
        process,
        log_path,
        workdir,
        issuer=_aws_issuer("us-east-1"),
        notes=[MOTO_SRP_NOTE],
        startup_s=time.perf_counter() - started,
        srp_username_is_login_name=True,
    )


MINISTACK_SRP_NOTE = (
    "ministack checks SRP for real, in pure Python (built-in pow) with a server secret b as long as N "
    "(3072 bits), which is why its user_srp_auth is so slow"
)


def ministack_command() -> list[str] | None:
    """How to start ministack: $BENCH_MINISTACK, else benchmarks/.venv-ministack, else PATH."""
    if override := os.environ.get("BENCH_MINISTACK"):
        return override.split()
    local = MINISTACK_VENV / "bin" / "ministack"
    if local.exists():
        return [str(local)]
    found = shutil.which("ministack")
    return [found] if found else None


def start_ministack(core: int | None, timeout: float = 90.0) -> Server:
    """ministack (hypercorn, one asyncio process) with its state in a throwaway folder."""
    command = ministack_command()
    if command is None:
        raise ServerFailed("ministack is not installed; run benchmarks/setup-peers.sh")
    workdir = Path(tempfile.mkdtemp(prefix="bench-ministack-"))
    port = _free_port()
    env = dict(os.environ)
    env.update(
        GATEWAY_PORT=str(port),
        BIND_HOST="127.0.0.1",
        STATE_DIR=str(workdir / "state"),
        PERSIST_STATE="0",
        LOG_LEVEL="WARNING",
        TMPDIR=str(workdir),
    )
    started = time.perf_counter()
    process, log_path = _spawn(_pinned(core, command), env, workdir)
    _wait_for_port(process, port, log_path, timeout)
    return Server(
        "ministack",
        Endpoint("127.0.0.1", port),
        process,
        log_path,
        workdir,
        issuer=_aws_issuer("us-east-1"),
        notes=[MINISTACK_SRP_NOTE],
        startup_s=time.perf_counter() - started,
    )


def start_null(core: int | None, timeout: float = 30.0) -> Server:
    """The do-nothing server of ``benchmarks.null_server``, used to measure the generator alone."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-null-"))
    port = _free_port()
    argv = [sys.executable, "-m", "benchmarks.null_server", "--port", str(port)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    process, log_path = _spawn(_pinned(core, argv), env, workdir)
    _wait_for_port(process, port, log_path, timeout)
    return Server("null", Endpoint("127.0.0.1", port), process, log_path, workdir, issuer=lambda pool_id: "")


def start_floor(core: int | None, timeout: float = 60.0) -> Server:
    """The bare sign-in of ``benchmarks.floor_server``: the stack's floor for a password sign-in."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-floor-"))
    port = _free_port()
    argv = [sys.executable, "-m", "benchmarks.floor_server", "--port", str(port), "--data", str(workdir)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    process, log_path = _spawn(_pinned(core, argv), env, workdir)
    _wait_for_port(process, port, log_path, timeout)
    return Server("floor", Endpoint("127.0.0.1", port), process, log_path, workdir, issuer=lambda pool_id: "")


STARTERS: dict[str, Callable[[int | None], Server]] = {
    "poolgate": start_poolgate,
    "moto": start_moto,
    "ministack": start_ministack,
}
