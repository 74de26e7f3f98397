"""The pytest plugin, used the way a user would: a separate suite (examples/pytest-plugin) that
only relies on the installed ``poolgate`` fixture, run in its own pytest process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pytest-plugin"


def test_example_suite_passes_with_the_fixture() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POOLGATE_", "AWS_"))}
    env.pop("PYTHONPATH", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE)],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "failed" not in result.stdout
