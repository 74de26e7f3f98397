"""The documentation stands alone (issue 16, item 7): what a user clones is all it refers to.

Every Markdown file of the project is checked: links and back-quoted paths must name files inside
the repository that exist, and a Markdown file named in the text (``tokens.md §5``) must be one of
the project's own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SKIP_DIRS = {"node_modules", ".venv", ".git", "build", "dist", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
TOP_LEVEL = ("docs/", "src/", "tests/", "examples/", "tools/", "benchmarks/", ".ci/")


def markdown_files() -> list[Path]:
    return sorted(
        p
        for p in ROOT.rglob("*.md")
        if not SKIP_DIRS & set(p.relative_to(ROOT).parts) and "egg-info" not in str(p)
    )


MD_NAMES = {p.name for p in markdown_files()}
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\n]+)`")
MD_MENTION = re.compile(r"(?<![\w/.-])([\w-]+\.md)\b")


def _inside(path: Path) -> bool:
    try:
        path.resolve().relative_to(ROOT)
    except ValueError:
        return False
    return True


def problems(doc: Path, text: str) -> list[str]:
    found = []
    rel = doc.relative_to(ROOT)
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = (doc.parent / target.split("#")[0]).resolve()
        if not _inside(path) or not path.exists():
            found.append(f"{rel}: link to {target}, which is not a file of the project")
    for code in CODE.findall(text):
        for word in code.split():
            if "../" in word:
                if not _inside(doc.parent / word.rstrip(".,;:)")):
                    found.append(f"{rel}: `{word}` is outside the repository")
            elif word.startswith(TOP_LEVEL) and not re.search(r"[*<>{}…$]|\.\.\.", word):
                # A file named with its extension must exist (folders and output names a command
                # creates, such as benchmarks/.venv-ministack, are not checked).
                path = ROOT / word.rstrip(".,;:)").split("::")[0].split(":")[0]
                if "." in path.name[1:] and not path.exists():
                    found.append(f"{rel}: `{word}` does not exist")
            elif "/" in word and word.rstrip(".,;:)").endswith(".md") and "*" not in word:
                name = word.rstrip(".,;:)")
                if not (ROOT / name).exists() and not (doc.parent / name).exists():
                    found.append(f"{rel}: `{word}` is not a document of the project")
    for name in MD_MENTION.findall(text):
        if name not in MD_NAMES:
            found.append(f"{rel}: mentions {name}, which is not a document of the project")
    return found


def test_the_checker_finds_what_issue_16_found() -> None:
    readme = ROOT / "README.md"
    assert problems(readme, "follows `../shared/STYLE.md`") != []
    assert problems(readme, "see [the guide](../shared/STYLE.md)") != []
    assert problems(readme, "as in protocol.md §7") != []
    assert problems(readme, "see `docs/no-such-page.md`") != []
    assert problems(readme, "follows `shared/spec/srp.md`") != []
    assert (
        problems(readme, "see [security](docs/security.md#the-red-team-review) and `docs/management.md`")
        == []
    )


@pytest.mark.parametrize("doc", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_documentation_refers_only_to_the_project(doc: Path) -> None:
    assert problems(doc, doc.read_text()) == []
