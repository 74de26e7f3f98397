"""The example of docs/pools-as-code.md applies, and applying it again changes nothing."""

from __future__ import annotations

import re
from pathlib import Path

from poolgate.devx import apply_text
from poolgate.services import Services

DOC = Path(__file__).resolve().parents[3] / "docs" / "pools-as-code.md"


def test_the_documented_example_applies(services: Services) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.DOTALL)
    (example,) = [block for block in blocks if "pools:" in block]
    lines = apply_text(services, example, "pools-as-code.md")
    assert lines[0] == "+ pool us-east-1_Demo1 (demo)"
    assert "+ user bob in pool us-east-1_Demo1 (FORCE_CHANGE_PASSWORD, disabled)" in lines
    assert apply_text(services, example) == ["= nothing to change"]
