"""Start real ``poolgate serve`` processes for tests, and make boto3 clients for them."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config

ACCESS_KEY_ID = "AKIATESTPOOLGATE0001"
SECRET_ACCESS_KEY = "test-secret-key-for-poolgate-0001"
REGION = "us-east-1"
START_TIMEOUT = 30.0


@dataclass
class ServerProcess:
    """A running ``poolgate serve`` and what it printed."""

    process: subprocess.Popen[str]
    url: str
    output: list[str] = field(default_factory=list)

    def client(self, access_key: str = ACCESS_KEY_ID, secret: str = SECRET_ACCESS_KEY, **kwargs: Any) -> Any:
        return make_client(self.url, access_key, secret, **kwargs)

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)

    def messages(self, pool_id: str | None = None, username: str | None = None) -> list[dict[str, Any]]:
        """What the server 'sent', from the testing API (oldest first)."""
        params = {k: v for k, v in (("userPoolId", pool_id), ("username", username)) if v}
        with self.http() as http:
            result: list[dict[str, Any]] = http.get("/_testing/messages", params=params).json()["messages"]
        return result

    def last_code(self, pool_id: str, username: str) -> str:
        codes = [m["code"] for m in self.messages(pool_id, username) if m["code"]]
        assert codes, f"no code was sent to {username}"
        return str(codes[-1])

    def advance_clock(self, seconds: float) -> None:
        with self.http() as http:
            http.post("/_testing/clock", json={"advance": seconds}).raise_for_status()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout,):
            if stream:
                stream.close()
        return self.process.returncode


def make_client(
    url: str, access_key: str = ACCESS_KEY_ID, secret: str = SECRET_ACCESS_KEY, **kwargs: Any
) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=url,
        region_name=kwargs.pop("region_name", REGION),
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, **kwargs),
    )


def start_server(
    data_dir: Path,
    *,
    database_url: str | None = None,
    extra_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    access_keys: str | None = f"{ACCESS_KEY_ID}:{SECRET_ACCESS_KEY}",
    testing: bool = True,
) -> ServerProcess:
    """Start ``poolgate serve --port 0`` and wait for its 'listening' line."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("POOLGATE_")}
    full_env.update(env or {})
    if access_keys is not None:
        full_env["POOLGATE_ACCESS_KEYS"] = access_keys
    full_env["PYTHONUNBUFFERED"] = "1"
    args = [sys.executable, "-m", "poolgate", "serve", "--port", "0", "--data", str(data_dir)]
    if database_url:
        args += ["--database-url", database_url]
    if testing:
        args.append("--testing")
    args += list(extra_args)
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=full_env)
    lines: queue.Queue[str | None] = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        if line.startswith("Poolgate listening on "):
            return ServerProcess(proc, line.split()[-1].strip(), output)
    proc.kill()
    proc.wait()
    if proc.stdout:
        proc.stdout.close()
    raise RuntimeError("poolgate serve did not start:\n" + "".join(output))
