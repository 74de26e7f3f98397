"""The first hour, replayed from a clean checkout in a new virtualenv (issue 16, item 2 and "beyond
the list"): Poolgate's wheel is built and installed with its runtime dependencies only, then

- each example's instructions run verbatim (``examples/*/README.md``'s shell block) and its tests
  pass;
- an unrelated pytest run passes (the ``pytest11`` plugin loads with pytest alone);
- the installed ``poolgate serve`` starts, and the README's Python snippets (boto3, the fixture) and
  its ``poolgate`` command lines run against it as written.

Nothing but the project's own files and the packages pip finds through the user's configuration
(PyPI, or a local mirror) is used; pip's cache keeps later runs short. One run takes about a minute,
most of it pip installing the dependencies.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)

pytestmark = pytest.mark.slow


def blocks(markdown: str, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(markdown) if lang == language]


def commands(block: str) -> list[str]:
    return [
        line.split("  #")[0].strip()
        for line in block.splitlines()
        if line.strip() and not line.startswith("#")
    ]


def clean_checkout(target: Path) -> Path:
    """The project's files as a clone has them (tracked and not ignored), without build output."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if listing.returncode == 0:
        listed = listing.stdout.decode().split("\0")
    else:  # not a git checkout (an unpacked archive): everything but local state and build output
        skip = {".git", ".venv", "node_modules", "build", "dist", "poolgate-data", "__pycache__"}
        listed = [
            str(p.relative_to(ROOT))
            for p in ROOT.rglob("*")
            if not skip & set(p.relative_to(ROOT).parts) and not p.name.endswith(".egg-info")
        ]
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


class Venv:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.bin = path / "bin"
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("POOLGATE_", "AWS_", "PYTEST_", "VIRTUAL_ENV")) and k != "PYTHONPATH"
        }
        self.env["PATH"] = f"{self.bin}:/usr/local/bin:/usr/bin:/bin"
        self.env["VIRTUAL_ENV"] = str(path)
        self.env["PYTHONUNBUFFERED"] = "1"

    def sh(self, line: str, cwd: Path, timeout: float = 600, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", line],
            cwd=cwd,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


class Fresh:
    """The new virtualenv after each example's instructions ran in it: (README, line, result)."""

    def __init__(
        self, venv: Venv, checkout: Path, runs: list[tuple[Path, str, subprocess.CompletedProcess[str]]]
    ):
        self.venv, self.checkout, self.runs = venv, checkout, runs


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Fresh:
    base = tmp_path_factory.mktemp("first-hour")
    checkout = clean_checkout(base / "checkout")
    subprocess.run([sys.executable, "-m", "venv", str(base / "venv")], check=True, timeout=120)
    venv = Venv(base / "venv")
    runs = []
    for readme in sorted(checkout.glob("examples/*/README.md")):
        (block,) = blocks(readme.read_text(), "sh")
        for line in commands(block):
            done = venv.sh(line, cwd=checkout)
            runs.append((readme.relative_to(checkout), line, done))
            if done.returncode != 0:
                break
    return Fresh(venv, checkout, runs)


def test_examples_run_verbatim_in_a_new_virtualenv(fresh: Fresh) -> None:
    assert fresh.runs
    for readme, line, done in fresh.runs:
        assert done.returncode == 0, f"{readme}: {line}\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        if line.startswith("pytest"):
            assert re.search(r"\d+ passed", done.stdout) and "failed" not in done.stdout, done.stdout
    venv = fresh.venv
    # Installed from the wheel, not the checkout: the package lives in the venv's site-packages.
    where = venv.sh("python -c 'import poolgate, sys; print(poolgate.__file__)'", cwd=Path("/"))
    assert str(venv.path) in where.stdout, where.stdout + where.stderr
    # No test extra came along with it.
    absent = venv.sh("python -c 'import httpx'", cwd=Path("/"))
    assert absent.returncode != 0


def test_an_unrelated_pytest_run_passes(fresh: Fresh, tmp_path: Path) -> None:
    venv = fresh.venv
    assert (venv.bin / "pytest").exists(), "the example's instructions did not install pytest"
    (tmp_path / "test_other.py").write_text("def test_other():\n    assert True\n")
    done = venv.sh("pytest -q -p no:cacheprovider test_other.py", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_readme_snippets_against_the_installed_server(fresh: Fresh, tmp_path: Path) -> None:
    venv = fresh.venv
    assert (venv.bin / "poolgate").exists(), "the example's instructions did not install poolgate"
    readme = (fresh.checkout / "README.md").read_text()
    seen: list[str] = []
    with subprocess.Popen(
        [str(venv.bin / "poolgate"), "serve", "--port", "0"],
        cwd=tmp_path,
        env=venv.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as server:
        try:
            assert server.stdout is not None
            for line in server.stdout:
                seen.append(line)
                if line.startswith("Poolgate listening on "):
                    break
            banner = "".join(seen)
            assert "Poolgate listening on " in banner, banner
            url = banner.split("Poolgate listening on ")[1].split()[0]
            keys = dict(re.findall(r"export (AWS_[A-Z_]+)=(\S+)", banner))
            assert set(keys) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}, banner

            python_snippets = blocks(readme, "python")
            # The boto3 example, as written (only the URL differs: the server listens on a free port).
            script = tmp_path / "example.py"
            script.write_text(python_snippets[0].replace("http://127.0.0.1:9229", url))
            done = venv.sh(f"python {script}", cwd=tmp_path, **keys)
            assert done.returncode == 0, done.stderr
            assert re.fullmatch(r"us-east-1_\w+ [a-z0-9]{26}\n", done.stdout), done.stdout

            # The fixture snippet, as a test of a user's suite.
            suite = tmp_path / "suite"
            suite.mkdir()
            (suite / "test_readme_fixture.py").write_text(python_snippets[1])
            done = venv.sh("pytest -q -p no:cacheprovider", cwd=suite)
            assert done.returncode == 0, done.stdout + done.stderr
            assert "1 passed" in done.stdout

            # The poolgate command lines, run where serve runs (its ./poolgate-data).
            lines = [line for block in blocks(readme, "sh") for line in commands(block)]
            for line in [line for line in lines if line.startswith("poolgate ")]:
                done = venv.sh(line, cwd=tmp_path)
                assert done.returncode == 0, f"{line}\n{done.stderr}"
            shown = venv.sh("poolgate credentials", cwd=tmp_path)
            assert f"AWS_ACCESS_KEY_ID={keys['AWS_ACCESS_KEY_ID']}" in shown.stdout, (
                shown.stdout + shown.stderr
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
