"""Write the list of implemented operations into README.md (between the operations markers)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

START, END = "<!-- operations:start -->", "<!-- operations:end -->"


def operations_block() -> str:
    from poolgate.operations.registry import implemented_operations

    names = implemented_operations()
    lines = [START, f"{len(names)} operations:", ""]
    lines += [f"- `{name}`" for name in names]
    lines.append(END)
    return "\n".join(lines)


def render(readme: str) -> str:
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    return pattern.sub(lambda _: operations_block(), readme)


def main() -> None:
    path = ROOT / "README.md"
    path.write_text(render(path.read_text()))


if __name__ == "__main__":
    main()
