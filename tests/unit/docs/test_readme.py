"""The README's operation list is generated from the code; it must be current."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_readme_lists_the_implemented_operations() -> None:
    spec = importlib.util.spec_from_file_location("gen_readme", ROOT / "tools" / "gen_readme.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    readme = (ROOT / "README.md").read_text()
    assert module.render(readme) == readme, "README is stale: run `python tools/gen_readme.py`"


def test_ci_runs_the_readme_test_command() -> None:
    assert "./dev test" in (ROOT / "README.md").read_text()
    assert "exec ./dev test" in (ROOT / ".ci" / "run").read_text()
