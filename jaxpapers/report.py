"""What a reproduction measured: claims, figures and arrays, written as JSON, Markdown and a table.

A reproduction (``jaxpapers/<method>/experiment.py``) returns a :class:`Report`. Each
:class:`Claim` sets what the paper says (a value or an expectation, with the provenance tag of
the spec it comes from) next to what we measured and the rule that decides pass or fail. A claim
that is not reproduced is reported as failing with the honest measured value; it is never
re-worded into a pass or dropped.

Build claims with the constructors, which write the rule and decide ``passed`` in one place::

    Claim.within("a", "drift-removed coefficient of |grad u|^2", paper=9.005,
                 provenance="P", measured=8.97, uncertainty=0.1, tol=0.5)
    Claim.at_most("fpr", "PAIR-CI false-positive rate under MNAR", paper="< 0.05",
                  provenance="P", measured=0.041, bound=0.05)
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Claim", "Report"]

Measured = float | int | bool | str | None


def _format_value(value: Any, digits: int = 4) -> str:
    """Short, human-readable rendering of a claim value."""
    if value is None:
        return "—"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        value = float(value)
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.{digits}g}"
    return str(value)


def _as_python(value: Any) -> Measured:
    """Turn numpy/JAX scalars into plain Python values for JSON."""
    if value is None or isinstance(value, str | bool):
        return value
    array = np.asarray(value)
    if array.shape != ():
        raise TypeError(f"a claim value must be a scalar or a string, got shape {array.shape}")
    if array.dtype == np.bool_:
        return bool(array)
    if np.issubdtype(array.dtype, np.integer):
        return int(array)
    return float(array)


@dataclasses.dataclass(frozen=True)
class Claim:
    """One statement of a paper, checked against what we measured.

    Attributes:
        id: short identifier, unique within a report (``"fpr_mnar"``).
        statement: what is claimed, in words.
        paper: the paper's value or expectation (``9.005``, ``"0.62–0.84"``, ``"< 5%"``).
        provenance: where ``paper`` comes from, using the spec's tags (``"P"`` paper, ``"A"``
            authors' code, ``"R"`` re-computed by us, ``"proposed"``...).
        measured: what this run measured.
        uncertainty: a standard error or half-width for ``measured``, where meaningful.
        rule: the rule that decides pass/fail, in words or as an inequality.
        passed: whether ``measured`` satisfies ``rule``; None when the claim could not be run
            here because an optional model or data set is not installed (see
            :meth:`Claim.not_run`). A claim that ran and missed is False, never None.
        note: anything a reader needs to interpret the row (deviations, scale of the run).
    """

    id: str
    statement: str
    paper: Any  # a scalar or a string; numpy/JAX scalars become Python values
    provenance: str
    measured: Any
    rule: str
    passed: Any  # bool or a numpy/JAX boolean scalar
    uncertainty: Any = None
    note: str = ""

    def __post_init__(self):
        if not self.id or not isinstance(self.id, str):
            raise ValueError(f"Claim.id must be a non-empty string, got {self.id!r}")
        object.__setattr__(self, "paper", _as_python(self.paper))
        object.__setattr__(self, "measured", _as_python(self.measured))
        if self.passed is not None:
            object.__setattr__(self, "passed", bool(self.passed))
        if self.uncertainty is not None:
            object.__setattr__(self, "uncertainty", float(self.uncertainty))

    # ----- constructors that write the rule and decide `passed` ---------------------------------

    @classmethod
    def within(cls, id, statement, *, paper, provenance, measured, tol, target=None, **kw):
        """Passes when ``|measured - target| <= tol``; ``target`` defaults to ``paper``."""
        target = paper if target is None else target
        ok = _finite(measured) and abs(float(measured) - float(target)) <= tol
        rule = f"|measured − {_format_value(target)}| ≤ {_format_value(tol)}"
        return cls(id, statement, paper, provenance, measured, rule, ok, **kw)

    @classmethod
    def between(cls, id, statement, *, paper, provenance, measured, low, high, **kw):
        """Passes when ``low <= measured <= high``."""
        ok = _finite(measured) and low <= float(measured) <= high
        rule = f"{_format_value(low)} ≤ measured ≤ {_format_value(high)}"
        return cls(id, statement, paper, provenance, measured, rule, ok, **kw)

    @classmethod
    def at_most(cls, id, statement, *, paper, provenance, measured, bound, **kw):
        """Passes when ``measured <= bound``."""
        ok = _finite(measured) and float(measured) <= bound
        rule = f"measured ≤ {_format_value(bound)}"
        return cls(id, statement, paper, provenance, measured, rule, ok, **kw)

    @classmethod
    def at_least(cls, id, statement, *, paper, provenance, measured, bound, **kw):
        """Passes when ``measured >= bound``."""
        ok = _finite(measured) and float(measured) >= bound
        rule = f"measured ≥ {_format_value(bound)}"
        return cls(id, statement, paper, provenance, measured, rule, ok, **kw)

    @classmethod
    def holds(cls, id, statement, *, paper, provenance, measured, rule, passed, **kw):
        """A claim decided by the caller (a boolean property, an ordering, a shape of a curve)."""
        return cls(id, statement, paper, provenance, measured, rule, passed, **kw)

    @classmethod
    def not_run(cls, id, statement, *, paper, provenance, reason):
        """A claim that needs an optional model or data set that is not installed.

        It is shown as SKIPPED with ``reason`` (say which package to install); it is neither a
        pass nor a failure. Use it only for missing optional inputs, never for a result that
        did not come out as the paper says.
        """
        return cls(id, statement, paper, provenance, None, "needs optional data", None, note=reason)

    @property
    def ran(self) -> bool:
        return self.passed is not None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


@dataclasses.dataclass
class Report:
    """What one reproduction measured, built up by ``experiment.run`` and saved by the CLI.

    Figures and arrays are written into ``workdir`` as they are added, so a crash late in a run
    keeps what was already made.
    """

    name: str
    title: str
    workdir: Path
    claims: list[Claim] = dataclasses.field(default_factory=list)
    figures: dict[str, str] = dataclasses.field(default_factory=dict)
    arrays: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        self.workdir = Path(self.workdir)

    @property
    def passed(self) -> bool:
        """True when no claim failed and at least one ran (claims not run are not failures)."""
        ran = [claim for claim in self.claims if claim.ran]
        return bool(ran) and all(claim.passed for claim in ran)

    def add(self, *claims: Claim) -> None:
        known = {claim.id for claim in self.claims}
        for claim in claims:
            if claim.id in known:
                raise ValueError(f"claim id {claim.id!r} is already in report {self.name!r}")
            known.add(claim.id)
            self.claims.append(claim)

    def add_figure(self, name: str, figure) -> Path:
        """Save a matplotlib figure as ``workdir/name.png`` and close it."""
        import matplotlib.pyplot as plt

        path = self.workdir / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(figure)
        self.figures[name] = path.name
        return path

    def add_arrays(self, **arrays) -> None:
        """Keep raw arrays; they are written to ``workdir/arrays.npz`` by :meth:`save`."""
        for name, value in arrays.items():
            self.arrays[name] = np.asarray(value)

    # ----- rendering -----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "passed": self.passed,
            "claims": [claim.to_dict() for claim in self.claims],
            "figures": dict(self.figures),
            "arrays": sorted(self.arrays),
            "meta": _jsonable(self.meta),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def _rows(self) -> list[list[str]]:
        rows = []
        for claim in self.claims:
            measured = _format_value(claim.measured)
            if claim.uncertainty is not None:
                measured += f" ± {_format_value(claim.uncertainty, 2)}"
            paper = f"{_format_value(claim.paper)} [{claim.provenance}]"
            verdict = {True: "PASS", False: "FAIL", None: "SKIPPED"}[claim.passed]
            rows.append([claim.id, claim.statement, paper, measured, claim.rule, verdict])
        return rows

    _HEADER = ["claim", "statement", "paper [source]", "measured", "rule", ""]

    def to_markdown(self) -> str:
        lines = [f"# {self.name}: {self.title}", ""]
        verdict = "all claims reproduced" if self.passed else "some claims NOT reproduced"
        ran = [c for c in self.claims if c.ran]
        count = f"{sum(c.passed for c in ran)}/{len(ran)} passed"
        if len(ran) < len(self.claims):
            count += f", {len(self.claims) - len(ran)} not run (optional data missing)"
        lines += [f"**{verdict}** ({count})", ""]
        lines.append("| " + " | ".join(self._HEADER) + " |")
        lines.append("|" + "---|" * len(self._HEADER))
        for row in self._rows():
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        notes = [f"- `{c.id}`: {c.note}" for c in self.claims if c.note]
        if notes:
            lines += ["", "Notes:", *notes]
        if self.figures:
            lines += ["", *[f"![{name}]({path})" for name, path in self.figures.items()]]
        if self.meta:
            lines += ["", "```json", json.dumps(_jsonable(self.meta), indent=2), "```"]
        return "\n".join(lines) + "\n"

    def table(self, width: int = 38) -> str:
        """A plain-text table for the terminal; long statements are shortened to ``width``."""
        rows = [[_shorten(cell, width) for cell in row] for row in self._rows()]
        return _text_table(self._HEADER, rows, title=f"{self.name}: {self.title}")

    def save(self, workdir: Path | None = None) -> Path:
        """Write ``report.json``, ``report.md`` and ``arrays.npz`` into ``workdir``."""
        workdir = Path(workdir or self.workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "report.json").write_text(self.to_json() + "\n", encoding="utf-8")
        (workdir / "report.md").write_text(self.to_markdown(), encoding="utf-8")
        if self.arrays:
            np.savez_compressed(workdir / "arrays.npz", **self.arrays)
        if workdir != self.workdir:
            for path in self.figures.values():
                shutil.copy2(self.workdir / path, workdir / path)
        return workdir


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _text_table(header: Sequence[str], rows: Sequence[Sequence[str]], title: str = "") -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    rule = "  ".join("─" * w for w in widths)
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [title] if title else []
    lines += [fmt.format(*header), rule, *[fmt.format(*row) for row in rows]]
    return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    """Best-effort conversion of config dataclasses, paths and numpy values for JSON."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.ndarray | np.generic) or hasattr(value, "__array__"):
        array = np.asarray(value)
        return array.tolist() if array.size <= 64 else f"array{array.shape}"
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return repr(value)
