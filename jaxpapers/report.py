"""What a reproduction measured: claims, figures and arrays, written as JSON, Markdown and a table.

A reproduction (``jaxpapers/<method>/experiment.py``) is run stage by stage by
:mod:`jaxpapers._stages`, which collects each stage's claims into a :class:`Report`. Each
:class:`Claim` sets an expected value (with its provenance: the paper, a value we planted, a
threshold we derived, or an independent reference implementation) next to what we measured and
the rule that decides the verdict. A claim that is not reproduced is reported as failing with the
honest measured value; it is never re-worded into a pass or dropped.

Build claims with the constructors, which write the rule and decide the verdict in one place:

>>> from jaxpapers.report import Claim
>>> claim = Claim.within("a", "coefficient of |grad u|^2 (planted 9.005)", expected=9.005,
...                      provenance="planted", measured=8.97, uncertainty=0.1, tol=0.5)
>>> claim.verdict, claim.decided
('pass', True)
>>> Claim.at_most("fpr", "false-positive rate under MNAR", expected="< 0.05",
...               provenance="paper", measured=0.041, uncertainty=0.01, bound=0.05).decided
False
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

__all__ = ["PROVENANCES", "VERDICTS", "Claim", "Report"]

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


PROVENANCES = ("paper", "planted", "derived", "reference")
"""Where a claim's expected value comes from.

* ``"paper"``: a number or property the paper states;
* ``"planted"``: recovering a value we put into synthetic data (the statement says what);
* ``"derived"``: a threshold or property we derived (the specs' [D], [S] and "proposed" tags);
* ``"reference"``: agreement with an independent implementation.
"""

VERDICTS = ("pass", "fail", "undecided", "skipped")

# A decided claim has its whole interval measured ± _Z · uncertainty on one side of the rule.
_Z = 2.0


@dataclasses.dataclass(frozen=True)
class Claim:
    """One statement, checked against what we measured.

    Attributes:
        id: short identifier, unique within a report (``"fpr_mnar"``).
        statement: what is claimed, in words; a planted claim says what was planted.
        expected: the expected value or expectation (``9.005``, ``"0.62–0.84"``, ``"< 5%"``).
        provenance: where ``expected`` comes from, one of :data:`PROVENANCES`.
        measured: what this run measured.
        rule: the rule that decides the verdict, in words or as an inequality.
        verdict: one of :data:`VERDICTS`. ``"skipped"`` when an optional model or data set is
            not installed (:meth:`Claim.not_run`); ``"undecided"`` when the run has too little
            data for a verdict (:meth:`Claim.undecided`). A claim that ran and missed fails.
        uncertainty: a standard error of ``measured``, where meaningful.
        decided: False when ``measured ± 2·uncertainty`` reaches both sides of the rule (the
            verdict could flip with more data); None when no uncertainty is given.
        note: anything a reader needs to interpret the row (deviations, scale of the run).
    """

    id: str
    statement: str
    expected: Any  # a scalar or a string; numpy/JAX scalars become Python values
    provenance: str
    measured: Any
    rule: str
    verdict: str
    uncertainty: Any = None
    decided: bool | None = None
    note: str = ""

    def __post_init__(self):
        if not self.id or not isinstance(self.id, str):
            raise ValueError(f"Claim.id must be a non-empty string, got {self.id!r}")
        if self.provenance not in PROVENANCES:
            raise ValueError(
                f"Claim {self.id!r}: provenance must be one of {PROVENANCES}, "
                f"got {self.provenance!r}"
            )
        if self.verdict not in VERDICTS:
            raise ValueError(f"Claim {self.id!r}: verdict must be one of {VERDICTS}")
        object.__setattr__(self, "expected", _as_python(self.expected))
        object.__setattr__(self, "measured", _as_python(self.measured))
        if self.uncertainty is not None:
            object.__setattr__(self, "uncertainty", float(self.uncertainty))

    # ----- constructors that write the rule and decide the verdict ------------------------------

    @classmethod
    def _decide(cls, id, statement, expected, provenance, measured, rule, low, high, **kw):
        """Pass when ``low <= measured <= high``; ``decided`` from the interval ± 2·uncertainty.

        The interval decides the claim when it lies inside [low, high] (a pass) or misses it
        entirely (a failure); otherwise ``decided`` is False.
        """
        ok = _finite(measured) and low <= float(measured) <= high
        uncertainty = kw.get("uncertainty")
        if _finite(measured) and uncertainty is not None and _finite(uncertainty):
            lo = float(measured) - _Z * float(uncertainty)
            hi = float(measured) + _Z * float(uncertainty)
            kw["decided"] = (low <= lo and hi <= high) if ok else (hi < low or lo > high)
        verdict = "pass" if ok else "fail"
        return cls(id, statement, expected, provenance, measured, rule, verdict, **kw)

    @classmethod
    def within(cls, id, statement, *, expected, provenance, measured, tol, target=None, **kw):
        """Passes when ``|measured - target| <= tol``; ``target`` defaults to ``expected``."""
        target = expected if target is None else target
        rule = f"|measured − {_format_value(target)}| ≤ {_format_value(tol)}"
        low, high = float(target) - tol, float(target) + tol
        return cls._decide(id, statement, expected, provenance, measured, rule, low, high, **kw)

    @classmethod
    def between(cls, id, statement, *, expected, provenance, measured, low, high, **kw):
        """Passes when ``low <= measured <= high``."""
        rule = f"{_format_value(low)} ≤ measured ≤ {_format_value(high)}"
        return cls._decide(id, statement, expected, provenance, measured, rule, low, high, **kw)

    @classmethod
    def at_most(cls, id, statement, *, expected, provenance, measured, bound, **kw):
        """Passes when ``measured <= bound``."""
        rule = f"measured ≤ {_format_value(bound)}"
        return cls._decide(
            id, statement, expected, provenance, measured, rule, -math.inf, bound, **kw
        )

    @classmethod
    def at_least(cls, id, statement, *, expected, provenance, measured, bound, **kw):
        """Passes when ``measured >= bound``."""
        rule = f"measured ≥ {_format_value(bound)}"
        return cls._decide(
            id, statement, expected, provenance, measured, rule, bound, math.inf, **kw
        )

    @classmethod
    def holds(cls, id, statement, *, expected, provenance, measured, rule, passed, **kw):
        """A claim decided by the caller (a boolean property, an ordering, a shape of a curve)."""
        verdict = "pass" if bool(passed) else "fail"
        return cls(id, statement, expected, provenance, measured, rule, verdict, **kw)

    @classmethod
    def undecided(cls, id, statement, *, expected, provenance, measured, rule, reason, **kw):
        """A claim this run measured on too little data for a verdict (say why in ``reason``).

        Neither a pass nor a failure; use it where the rule fixes a minimum sample size (number
        of pairs, graphs or replications) that the run did not reach.
        """
        return cls(
            id, statement, expected, provenance, measured, rule, "undecided", note=reason, **kw
        )

    @classmethod
    def not_run(cls, id, statement, *, expected, provenance, reason):
        """A claim that needs an optional model or data set that is not installed.

        It is shown as SKIPPED with ``reason`` (say which package to install); it is neither a
        pass nor a failure. Use it only for missing optional inputs, never for a result that
        did not come out as expected.
        """
        return cls(
            id, statement, expected, provenance, None, "needs optional data", "skipped", note=reason
        )

    @property
    def passed(self) -> bool | None:
        """True for a pass, False for a failure, None when skipped or undecided."""
        return {"pass": True, "fail": False}.get(self.verdict)

    @property
    def ran(self) -> bool:
        return self.verdict != "skipped"

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "passed": self.passed}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Claim:
        """Inverse of :meth:`to_dict` (used when a stage is restored from its checkpoint)."""
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in fields})


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


@dataclasses.dataclass
class Report:
    """What one reproduction measured, built by :func:`jaxpapers._stages.run`, saved by the CLI.

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
        """True when no claim failed and at least one passed.

        Skipped claims (optional data missing) and undecided ones are neither passes nor
        failures; a report in which nothing passed has not passed.
        """
        verdicts = [claim.verdict for claim in self.claims]
        return "pass" in verdicts and "fail" not in verdicts

    def counts(self) -> dict[str, dict[str, int]]:
        """``{provenance: {verdict: count}}`` over the claims, for the summary lines."""
        table: dict[str, dict[str, int]] = {}
        for claim in self.claims:
            row = table.setdefault(claim.provenance, dict.fromkeys(VERDICTS, 0))
            row[claim.verdict] += 1
        return table

    def summary(self) -> str:
        """One line per provenance: ``paper: 5/6 passed, 1 skipped``."""
        lines = []
        for provenance in PROVENANCES:
            row = self.counts().get(provenance)
            if row is None:
                continue
            decided = row["pass"] + row["fail"]
            text = f"{provenance}: {row['pass']}/{decided} passed"
            extra = [f"{row[v]} {v}" for v in ("undecided", "skipped") if row[v]]
            lines.append(text + (", " + ", ".join(extra) if extra else ""))
        return "; ".join(lines)

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
            verdict = claim.verdict.upper() + ("*" if claim.decided is False else "")
            rows.append(
                [
                    claim.id,
                    claim.statement,
                    claim.provenance,
                    _format_value(claim.expected),
                    measured,
                    claim.rule,
                    verdict,
                ]
            )
        return rows

    _HEADER = ["claim", "statement", "provenance", "expected", "measured", "rule", ""]
    _UNDECIDED_NOTE = "`*`: the interval measured ± 2·uncertainty reaches both sides of the rule."

    def to_markdown(self) -> str:
        lines = [f"# {self.name}: {self.title}", ""]
        verdict = "all claims reproduced" if self.passed else "some claims NOT reproduced"
        lines += [f"**{verdict}** ({self.summary()})", ""]
        lines.append("| " + " | ".join(self._HEADER) + " |")
        lines.append("|" + "---|" * len(self._HEADER))
        for row in self._rows():
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        if any(claim.decided is False for claim in self.claims):
            lines += ["", self._UNDECIDED_NOTE]
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
        table = _text_table(self._HEADER, rows, title=f"{self.name}: {self.title}")
        footer = [self.summary()]
        if any(claim.decided is False for claim in self.claims):
            footer.append(self._UNDECIDED_NOTE.replace("`", ""))
        return "\n".join([table, *footer])

    def save(self, workdir: Path | None = None) -> Path:
        """Write ``report.json``, ``report.md`` and ``arrays.npz`` into ``workdir``."""
        workdir = Path(workdir or self.workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "report.json").write_text(self.to_json() + "\n", encoding="utf-8")
        (workdir / "report.md").write_text(self.to_markdown(), encoding="utf-8")
        if self.arrays:
            np.savez_compressed(workdir / "arrays.npz", **self.arrays)  # pyright: ignore[reportArgumentType]
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
