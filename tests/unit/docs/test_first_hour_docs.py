"""The README's snippets and reference tables, checked against the code (issue 16, item 8): every
name a Python or JavaScript snippet uses is defined or imported in it, and every command and
``serve`` flag appears in the README's tables."""

from __future__ import annotations

import argparse
import ast
import builtins
import re
from pathlib import Path

import pytest

from poolgate.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text()
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def snippets(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(README) if lang == language]


def undefined_python_names(source: str) -> set[str]:
    tree = ast.parse(source)
    defined = set(dir(builtins))
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (used if isinstance(node.ctx, ast.Load) else defined).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
    return used - defined


JS_GLOBALS = {"JSON", "Math", "console", "process", "Promise", "Object", "Array", "Date", "Number", "String"}
JS_DECLARED = re.compile(
    r"(?:const|let|var)\s+(\w+)"  # const x
    r"|(?:const|let|var)\s+\{([^}]*)\}"  # const { a, b }
    r"|import\s+\{([^}]*)\}"  # import { a, b } from
    r"|import\s+(\w+)\s+from"  # import x from
    r"|\((\w+)\)\s*=>|(\w+)\s*=>"  # (d) => / d =>
    r"|let\s+(\w+)\s*,\s*(\w+)"  # let a, b
)


def undeclared_js_objects(source: str) -> set[str]:
    """Identifiers used as objects (``x.y``) that the snippet neither declares nor gets as a global."""
    declared = set(JS_GLOBALS)
    for match in JS_DECLARED.finditer(source):
        for group in match.groups():
            if group:
                declared.update(name.strip().split(":")[-1].strip() for name in group.split(","))
    code = re.sub(r"`[^`]*`|\"[^\"]*\"|'[^']*'|/[^/\n]+/(?=\.)", '""', source)
    used = set(re.findall(r"(?<![\w.$])([A-Za-z_$][\w$]*)\.[A-Za-z_]", code))
    return used - declared


def test_the_snippet_checks_catch_what_issue_16_found() -> None:
    assert undefined_python_names('def test_x(poolgate):\n    boto3.client("cognito-idp")\n') == {"boto3"}
    assert undeclared_js_objects('const { spawn } = require("x");\nfs.mkdtempSync("/tmp/a");\n') == {"fs"}


@pytest.mark.parametrize("index", range(len(snippets("python"))))
def test_python_snippets_define_every_name(index: int) -> None:
    assert undefined_python_names(snippets("python")[index]) == set()


@pytest.mark.parametrize("index", range(len(snippets("js"))))
def test_js_snippets_declare_every_object(index: int) -> None:
    assert undeclared_js_objects(snippets("js")[index]) == set()


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_command_is_in_the_commands_table() -> None:
    table = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    missing = [name for name in _subcommands() if f"`poolgate {name}" not in table]
    assert missing == []


def test_every_serve_flag_is_in_the_configuration_table() -> None:
    table = README.split("## Configuration", 1)[1].split("\n### ", 1)[0]
    serve = _subcommands()["serve"]
    flags = [f for a in serve._actions for f in a.option_strings if f.startswith("--") and f != "--help"]
    missing = [flag for flag in flags if f"`{flag}" not in table]
    assert missing == []
