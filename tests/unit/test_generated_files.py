"""Generated files must match their generator: a stale one fails here (CI runs it through ./dev test).

``src/poolgate/errors.py`` comes from ``tools/gen_errors.py`` (botocore's cognito-idp model and
``protocol/patches.json``); the README's operation list from ``tools/gen_readme.py`` is checked by
``tests/unit/docs/test_readme.py``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_errors_py_matches_its_generator() -> None:
    text, count = _tool("gen_errors").render()
    assert count > 0
    committed = (ROOT / "src" / "poolgate" / "errors.py").read_text()
    assert text == committed, "src/poolgate/errors.py is stale: run `python tools/gen_errors.py`"
