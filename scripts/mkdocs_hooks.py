"""MkDocs hooks: pages generated from the code at build time, so they cannot go stale.

- ``cli.md``: the marker ``<!-- hashpivot:cli -->`` becomes the Typer reference of every
  command (``typer hashpivot.cli utils docs``, run in this interpreter).
- ``examples.md``: ``<!-- hashpivot:examples -->`` becomes one section per script in
  ``examples/``: its docstring as text, then its code.
- ``benchmarks.md``: ``<!-- hashpivot:benchmarks -->`` becomes each script of
  ``benchmarks/`` with its docstring (what it measures, how to run it).
- ``openapi.json``: the service's OpenAPI schema (``hashpivot.api.app.create_app``),
  added to the site so ``api.md`` can link it.

Nothing here reaches the network.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CLI_MARKER = "<!-- hashpivot:cli -->"
EXAMPLES_MARKER = "<!-- hashpivot:examples -->"
BENCHMARKS = ROOT / "benchmarks"
BENCHMARKS_MARKER = "<!-- hashpivot:benchmarks -->"


def cli_reference() -> str:
    """Markdown of every command's usage, arguments and options, from Typer."""
    out = subprocess.run(
        [sys.executable, "-m", "typer", "hashpivot.cli", "utils", "docs", "--name", "hashpivot"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    # the page has its own title: drop Typer's (the first line), keep the commands' headings
    return "\n".join(out.stdout.splitlines()[1:])


def _example_order(path: Path) -> tuple[int, str]:
    """Examples in the order of the questions their docstrings start with (``Q1, …``)."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    match = re.match(r"Q(\d+)", doc)
    return (int(match.group(1)) if match else 99, path.name)


def example_body(code: str) -> str:
    """An example's code without its module docstring (the gallery shows that as text)."""
    tree = ast.parse(code)
    first = tree.body[0] if tree.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        code = "\n".join(code.splitlines()[first.end_lineno or 0 :])
    return code.strip()


def examples_gallery() -> str:
    """One section per example script: title and text from its docstring, then its code."""
    parts = []
    for path in sorted(EXAMPLES.glob("*.py"), key=_example_order):
        code = path.read_text(encoding="utf-8")
        doc = ast.get_docstring(ast.parse(code)) or path.stem
        title, _, text = doc.partition("\n")
        parts.append(
            f"## {title.rstrip('.')}\n\n`examples/{path.name}`\n\n{_code_blocks(text)}\n\n"
            f"```python\n{example_body(code)}\n```\n"
        )
    return "\n".join(parts)


def benchmarks_section() -> str:
    """Each benchmark script's docstring under its file name."""
    parts = []
    for path in sorted(BENCHMARKS.glob("bench_*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        parts.append(f"### `benchmarks/{path.name}`\n\n{_code_blocks(doc)}\n")
    return "\n".join(parts)


def _code_blocks(doc: str) -> str:
    """A docstring's indented command lines (reST literal blocks) as console blocks."""
    out: list[str] = []
    block: list[str] = []
    for line in [*doc.splitlines(), ""]:
        if line.startswith("    ") and line.strip():
            block.append(line.strip())
            continue
        if line.startswith("Usage: "):
            block.append(line.removeprefix("Usage: ").strip())
            continue
        if block:
            out += ["```console", *(f"$ {b}" for b in block), "```"]
            block = []
        out.append(line.replace("::", ":") if line.rstrip().endswith("::") else line)
    # Sphinx roles (:func:`x`, :class:`x`) as plain code spans
    return re.sub(r":[a-z]+:`~?([^`]+)`", r"`\1`", "\n".join(out)).strip()


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Fill the markers of the generated pages."""
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, cli_reference())
    if EXAMPLES_MARKER in markdown:
        markdown = markdown.replace(EXAMPLES_MARKER, examples_gallery())
    if BENCHMARKS_MARKER in markdown:
        markdown = markdown.replace(BENCHMARKS_MARKER, benchmarks_section())
    return markdown


def openapi_schema() -> str:
    """The service's OpenAPI schema as JSON text (the app is created, not served)."""
    from hashpivot.api.app import create_app

    return json.dumps(create_app().openapi(), indent=1, sort_keys=True)


def on_files(files: Any, config: Any) -> Any:
    """Add the service's OpenAPI schema to the site as ``openapi.json``."""
    from mkdocs.structure.files import File

    files.append(File.generated(config, "openapi.json", content=openapi_schema()))
    return files
