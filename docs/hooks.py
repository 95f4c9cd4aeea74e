"""mkdocs hooks: the method, notebook and API pages are generated from the package itself.

* ``methods/<m>.md``: the module README (the paper, equations next to function names), the
  claims table of the last quick reproduction (``docs/reports/<m>.json``, written by
  ``python docs/update_reports.py``), and the benchmark table (``benchmarks/results/<m>.md``);
* ``notebooks/<m>.ipynb``: the executed notebook, rendered by mkdocs-jupyter;
* ``api/<name>.md``: one mkdocstrings section per public name of every method and building
  block. A public name without a docstring is a warning, so ``mkdocs build --strict`` fails.
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
import re
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger("mkdocs.plugins.jaxpapers")

VERDICT = {"pass": "PASS", "fail": "FAIL", "undecided": "UNDECIDED", "skipped": "SKIPPED"}


def _packages() -> tuple[tuple[str, ...], tuple[str, ...]]:
    import jaxpapers

    return jaxpapers.METHODS, jaxpapers.BUILDING_BLOCKS


def public_names(package: str) -> list[str]:
    """``__all__`` of ``jaxpapers.<package>``, or its names not starting with ``_``."""
    module = importlib.import_module(f"jaxpapers.{package}")
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            name
            for name, value in vars(module).items()
            if not name.startswith("_") and not inspect.ismodule(value)
        ]
    return sorted(names)


def _plain_links(markdown: str) -> str:
    """Relative links of a README point into the repository, not the site: keep the text."""
    return re.sub(r"(?<!!)\[([^\]]+)\]\((?!https?://|#)([^)]+)\)", r"\1 (`\2`)", markdown)


def _shift_headings(markdown: str) -> str:
    """The README's own title is dropped; its sections sit under the page title."""
    lines = markdown.splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    return "\n".join(lines)


def _value(value, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def claims_table(report: dict) -> str:
    """The claims of a saved ``report.json`` as a Markdown table, provenance shown."""
    rows = [
        "| claim | statement | provenance | expected | measured | rule | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for claim in report["claims"]:
        measured = _value(claim["measured"])
        if claim.get("uncertainty") is not None:
            measured += f" ± {_value(claim['uncertainty'], 2)}"
        cells = [
            f"`{claim['id']}`",
            claim["statement"],
            claim["provenance"],
            _value(claim["expected"]),
            measured,
            claim["rule"],
            VERDICT[claim["verdict"]] + ("*" if claim.get("decided") is False else ""),
        ]
        rows.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    meta = report.get("meta", {})
    where = f"seed {meta.get('seed', '?')}, {meta.get('mode', '?')} scale"
    where += f", {meta.get('seconds', '?')} s on {meta.get('device', '?')}"
    note = "`*`: the interval measured ± 2·uncertainty reaches both sides of the rule."
    return "\n".join(rows) + f"\n\nMeasured by `jaxpapers reproduce` ({where}). {note}\n"


def method_page(name: str) -> str:
    module = importlib.import_module(f"jaxpapers.{name}")
    title = (module.__doc__ or name).strip().splitlines()[0]
    parts = [f"# `{name}`: {title}", ""]
    readme = ROOT / "jaxpapers" / name / "README.md"
    if readme.exists():
        parts += [_plain_links(_shift_headings(readme.read_text(encoding="utf-8"))), ""]
    report = ROOT / "docs" / "reports" / f"{name}.json"
    parts += ["## Claims of the last quick reproduction", ""]
    if report.exists():
        parts.append(claims_table(json.loads(report.read_text(encoding="utf-8"))))
    else:
        log.warning(f"no saved report for {name}: run `python docs/update_reports.py {name}`")
    bench = ROOT / "benchmarks" / "results" / f"{name}.md"
    if bench.exists():
        parts += ["## Benchmark", "", _plain_links(bench.read_text(encoding="utf-8")), ""]
    if (ROOT / "notebooks" / f"{name}.ipynb").exists():
        parts += ["## Notebook", "", f"[The executed notebook](../notebooks/{name}.ipynb).", ""]
    parts += ["## API", "", f"[Every public name of `jaxpapers.{name}`](../api/{name}.md).", ""]
    return "\n".join(parts)


def api_page(name: str) -> str:
    module = importlib.import_module(f"jaxpapers.{name}")
    parts = [f"# `jaxpapers.{name}`", "", inspect.cleandoc(module.__doc__ or ""), ""]
    for public in public_names(name):
        obj = getattr(module, public)
        if not inspect.getdoc(obj) and not isinstance(obj, str | int | float | tuple):
            log.warning(f"jaxpapers.{name}.{public} has no docstring")
        parts += [f"::: jaxpapers.{name}.{public}", "    options:", "      heading_level: 2", ""]
    return "\n".join(parts)


def on_config(config):
    methods, blocks = _packages()
    notebooks = [m for m in (*methods, "nn") if (ROOT / "notebooks" / f"{m}.ipynb").exists()]
    config["nav"] = [
        {"Getting started": "index.md"},
        {"Install": "install.md"},
        {"Scaling": "scaling.md"},
        {"Methods": [{m: f"methods/{m}.md"} for m in methods]},
        {"Notebooks": [{m: f"notebooks/{m}.ipynb"} for m in notebooks]},
        {"API reference": [{n: f"api/{n}.md"} for n in (*methods, *blocks)]},
    ]
    return config


def on_files(files, config):
    methods, blocks = _packages()
    for name in methods:
        files.append(File.generated(config, f"methods/{name}.md", content=method_page(name)))
    for name in (*methods, *blocks):
        files.append(File.generated(config, f"api/{name}.md", content=api_page(name)))
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        uri = f"notebooks/{notebook.name}"
        files.append(File.generated(config, uri, abs_src_path=str(notebook)))
    return files
