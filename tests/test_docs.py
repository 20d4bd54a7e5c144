"""The documentation site: its pages exist, the generated ones list what the code has.

``.ci/run`` builds the site with ``mkdocs build --strict`` (broken links, missing pages and
docstring warnings fail it); these tests check what a strict build cannot: that the CLI
reference, the examples gallery and the benchmarks page cover every command, example and
benchmark, that the getting-started page keeps the README's two commands, and that the
README's links into the docs lead to pages.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import typer
import yaml

from hashpivot.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mkdocs_hooks", ROOT / "scripts/mkdocs_hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _nav_files(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [f for item in node for f in _nav_files(item)]
    if isinstance(node, dict):
        return [f for value in node.values() for f in _nav_files(value)]
    return []


def _config() -> dict:
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


def test_every_nav_page_exists_and_every_page_is_in_the_nav() -> None:
    nav = _nav_files(_config()["nav"])
    assert len(nav) == len(set(nav))
    for page in nav:
        assert (DOCS / page).is_file(), page
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert pages == set(nav)


def test_site_builds_offline() -> None:
    config = _config()
    assert config["theme"]["font"] is False  # no Google Fonts fetched by the browser
    assert config["strict"] is True
    plugins = [p if isinstance(p, str) else next(iter(p)) for p in config["plugins"]]
    assert plugins == ["search", "mkdocstrings"]  # neither fetches anything at build time


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [b.split("\n```", 1)[0].strip() for b in section.split("```bash\n")[1:]]


def test_getting_started_keeps_the_readme_commands() -> None:
    page = (DOCS / "getting-started.md").read_text(encoding="utf-8")
    commands = _readme_commands()
    assert len(commands) == 2
    for command in commands:
        assert f"```bash\n{command}\n```" in page


def test_cli_reference_has_every_command_and_option() -> None:
    text = _hooks().cli_reference()
    sections = dict(re.findall(r"^#+ `hashpivot ([^`]+)`\n(.*?)(?=^#+ `hashpivot |\Z)", text,
                               re.M | re.S))  # fmt: skip
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    for name, command in group.commands.items():
        assert name in sections, name
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--"):
                    assert opt in sections[name], (name, opt)


def test_examples_gallery_has_every_example_with_its_code() -> None:
    hooks = _hooks()
    text = hooks.examples_gallery()
    positions = []
    for path in (ROOT / "examples").glob("*.py"):
        code = path.read_text(encoding="utf-8")
        assert f"`examples/{path.name}`" in text
        body = hooks.example_body(code)
        assert body in text
        assert "def main(" in body  # the code, not only its docstring
        positions.append((re.match(r'"""Q(\d)', code).group(1), text.index(body)))  # type: ignore[union-attr]
    assert [q for q, _ in sorted(positions, key=lambda p: p[1])] == ["1", "2", "3", "4", "5"]
    assert ":func:" not in text


def test_benchmarks_page_has_every_benchmark_and_its_command() -> None:
    text = _hooks().benchmarks_section()
    for path in (ROOT / "benchmarks").glob("bench_*.py"):
        assert f"`benchmarks/{path.name}`" in text
        assert f"$ python benchmarks/{path.name}" in text, path.name


def test_model_pages_cite_their_sources() -> None:
    for page in (DOCS / "model").glob("*.md"):
        text = page.read_text(encoding="utf-8")
        cited = re.findall(r"https://|\(\d{4}\)", text)
        assert len(cited) >= 2, page.name


def test_readme_links_into_the_docs() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((docs/[^)#]+)", text)
    assert len(links) >= 5
    for link in links:
        assert (ROOT / link).is_file(), link


def test_openapi_schema_page_has_the_service_routes() -> None:
    schema = json.loads(_hooks().openapi_schema())
    assert {"/simulate", "/plan", "/dispatch", "/runs"} <= set(schema["paths"])
    assert "openapi.json" in (DOCS / "api.md").read_text(encoding="utf-8")


def test_dispatch_page_quotes_the_readme_table() -> None:
    """The figures the dispatch page quotes are the README table's (which a test re-measures)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("| | 2024 |") :].split("\n\n", 1)[0]
    table = {a.strip(): b.strip() for a, b, *_ in
             (line.strip("|").split("|") for line in block.splitlines()[2:])}  # fmt: skip
    page = (DOCS / "model" / "dispatch.md").read_text(encoding="utf-8").replace("\n", " ")
    assert f"uptime {table['uptime'].split(' (')[0]}" in page
    assert table["BTC mined / revenue"].split(" / ")[0] in page
    assert f"{table['curtailment savings']} curtailment savings" in page
    assert f"{table['flexibility value'].split(' (')[0]} flexibility value" in page
    assert table["lost if 20 MW per site (60 MW) become firm AI load"].split(" =")[0] in page
