"""Installing Poolgate registers its pytest plugin (``pytest11``) in every pytest run of that
environment. The plugin must load with Poolgate's runtime dependencies alone (not the ``test``
extra), and must never break a run that does not use the fixture (issue 16, item 1).

A fresh virtualenv is simulated in a child pytest process: every installed module that the runtime
dependencies (or pytest's) do not pull in is made unimportable, and plugin auto-loading is off so
only Poolgate's plugin is loaded, as it would be in an environment holding Poolgate and pytest only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]

BLOCKER = """
import importlib.abc, sys
BLOCKED = frozenset({blocked!r})

class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (not installed in this environment)", name=name)
        return None

sys.meta_path.insert(0, Blocker())
import pytest
sys.exit(pytest.main(sys.argv[1:]))
"""


def _closure(requirements: list[str]) -> set[str]:
    """Names of the installed distributions these requirements pull in, transitively."""
    seen: set[str] = set()
    pending = [(Requirement(r), "") for r in requirements]
    while pending:
        req, extra = pending.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(req.name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        key = f"{name}[{','.join(sorted(req.extras))}]"
        if key in seen:
            continue
        seen.add(key)
        for text in dist.requires or []:
            sub = Requirement(text)
            for wanted in ("", *req.extras):
                if sub.marker is None or sub.marker.evaluate({"extra": wanted}):
                    pending.append((sub, wanted))
                    break
    return {k.partition("[")[0] for k in seen}


def _blocked_modules(allowed_requirements: list[str]) -> set[str]:
    allowed = _closure(allowed_requirements)
    blocked = set()
    for module, dists in metadata.packages_distributions().items():
        if module == "poolgate" or module.startswith("_"):
            continue
        if not any(canonicalize_name(d) in allowed for d in dists):
            blocked.add(module)
    return blocked


def _runtime_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return list(project["dependencies"])


def _run(tmp_path: Path, blocked: set[str], test_source: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_user_suite.py").write_text(textwrap.dedent(test_source))
    runner = tmp_path / "run_pytest.py"
    runner.write_text(BLOCKER.format(blocked=sorted(blocked)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POOLGATE_", "AWS_"))}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env["PYTHONPATH"] = str(ROOT / "src")
    return subprocess.run(
        [sys.executable, str(runner), "-q", "-p", "no:cacheprovider", "-p", "poolgate.testing.plugin", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_test_extra_modules_are_really_blocked() -> None:
    blocked = _blocked_modules([*_runtime_requirements(), "pytest"])
    assert {"httpx", "flask", "jwt", "hypothesis", "pyotp"} <= blocked
    assert not {"boto3", "botocore", "uvicorn", "starlette", "pytest"} & blocked


def test_unrelated_pytest_run_passes_with_runtime_dependencies_only(tmp_path: Path) -> None:
    blocked = _blocked_modules([*_runtime_requirements(), "pytest"])
    result = _run(tmp_path, blocked, "def test_arithmetic():\n    assert 1 + 1 == 2\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_unrelated_pytest_run_passes_even_without_poolgate_dependencies(tmp_path: Path) -> None:
    # A broken installation (none of Poolgate's own dependencies importable) must still not
    # break a run that never asks for the fixture.
    blocked = _blocked_modules(["pytest"])
    assert {"boto3", "uvicorn", "starlette", "sqlalchemy"} <= blocked
    result = _run(tmp_path, blocked, "def test_arithmetic():\n    assert 1 + 1 == 2\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_fixture_works_with_runtime_dependencies_only(tmp_path: Path) -> None:
    blocked = _blocked_modules([*_runtime_requirements(), "pytest"])
    result = _run(
        tmp_path,
        blocked,
        """
        import boto3

        def test_sign_up_confirm_sign_in(poolgate):
            app = poolgate.create_app(AutoVerifiedAttributes=["email"])
            cognito = boto3.client("cognito-idp")
            cognito.sign_up(ClientId=app.client_id, Username="bob", Password="Passw0rd!Test",
                            UserAttributes=[{"Name": "email", "Value": "bob@example.com"}])
            cognito.confirm_sign_up(ClientId=app.client_id, Username="bob",
                                    ConfirmationCode=poolgate.codes("bob")[-1])
            tokens = cognito.initiate_auth(ClientId=app.client_id, AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": "bob", "PASSWORD": "Passw0rd!Test"})["AuthenticationResult"]
            poolgate.advance(3601)
            try:
                cognito.get_user(AccessToken=tokens["AccessToken"])
            except cognito.exceptions.NotAuthorizedException as exc:
                assert exc.response["Error"]["Message"] == "Access Token has expired"
            else:
                raise AssertionError("the token should have expired")
    """,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
