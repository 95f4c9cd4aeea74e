"""The one reproduction runner: stage keys, progress, NaN checks, checkpoints and resume.

A method's ``experiment.py`` defines ``STAGES``, a tuple of :class:`Stage` (a name and a pure-ish
function ``stage(key, scale, done) -> StageResult``), and a ``Scale`` with ``quick()`` and
``full()``. :func:`run` executes the stages in order and

* derives each stage's key from the run key and the stage's *name*,
  ``fold_in(key, crc32(name))``, so adding, removing or reordering stages never changes another
  stage's numbers;
* passes ``done``, the arrays of every earlier stage (one flat mapping; names are unique within
  a report), so a later stage can build on an earlier one without recomputing it;
* shows a progress bar over the stages (inner loops add their own bars, see :mod:`._loop`);
* refuses a stage whose claims measure NaN or whose arrays hold NaN/inf (unless the stage lists
  them in ``StageResult.nan_ok``: NaN padding of a static maximum), naming the stage;
* checkpoints each finished stage under ``workdir/ckpt/`` through :mod:`._ckpt`: its arrays as
  the state, its claims, figure files and timing as JSON metadata. A run stopped by Ctrl-C or
  SIGTERM keeps the stages it finished.

With ``resume=True`` a finished stage is restored instead of run and listed in
``report.meta["resumed_stages"]``; since every stage's key depends only on the run key and its
name, a resumed run's claims equal an uninterrupted run's. A checkpoint made with another seed or
scale is refused rather than mixed in.
"""

from __future__ import annotations

import contextlib
import math
import signal
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

import jax

from jaxpapers import _ckpt
from jaxpapers._loop import progress
from jaxpapers.report import Claim, Report, _jsonable

__all__ = ["Stage", "StageResult", "run", "stage_key"]


class StageResult(NamedTuple):
    """What one stage measured.

    Attributes:
        claims: the stage's claims.
        arrays: raw numeric arrays; written to ``arrays.npz`` and passed to later stages in
            ``done``.
        figures: matplotlib figures by file stem; saved as ``workdir/<stem>.png`` and closed.
        nan_ok: names of ``arrays`` allowed to hold NaN (padding of a static maximum).
        meta: JSON-able facts about the run (sizes used, counts) for ``report.meta``.
    """

    claims: Sequence[Claim] = ()
    arrays: Mapping[str, Any] = {}
    figures: Mapping[str, Any] = {}
    nan_ok: Sequence[str] = ()
    meta: Mapping[str, Any] = {}


StageFn = Callable[[jax.Array, Any, dict[str, np.ndarray]], StageResult]


class Stage(NamedTuple):
    """A named step of a reproduction: ``fn(key, scale, done) -> StageResult``."""

    name: str
    fn: StageFn


def stage_key(key: jax.Array, name: str) -> jax.Array:
    """The key of stage ``name``: ``fold_in(key, crc32(name))`` (stable across processes)."""
    return jax.random.fold_in(key, zlib.crc32(name.encode()) & 0x7FFFFFFF)


def _slug(index: int, name: str) -> str:
    clean = "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")
    return f"{index:02d}_{clean}"


def _check_finite(name: str, result: StageResult) -> None:
    for claim in result.claims:
        for field in ("measured", "uncertainty"):
            value = getattr(claim, field)
            if isinstance(value, float) and math.isnan(value):
                raise FloatingPointError(f"stage {name!r}: claim {claim.id!r} has a NaN {field}")
    for array_name, value in result.arrays.items():
        array = np.asarray(value)
        if array_name in result.nan_ok or not np.issubdtype(array.dtype, np.inexact):
            continue
        if not np.isfinite(array).all():
            raise FloatingPointError(f"stage {name!r}: array {array_name!r} holds NaN or inf")


def _fingerprint(scale: Any, seed_data: np.ndarray) -> str:
    return repr(_jsonable(scale)) + "|" + ",".join(str(int(x)) for x in seed_data.ravel())


class _StageStore:
    """Checkpoints of finished stages, one orbax directory per stage."""

    def __init__(self, directory: Path, fingerprint: str):
        self.directory, self.fingerprint = directory, fingerprint

    def save(self, slug: str, result: StageResult, figures: Mapping[str, str], seconds: float):
        arrays = {k: np.asarray(v) for k, v in result.arrays.items()}
        meta = {
            "fingerprint": self.fingerprint,
            "claims": [claim.to_dict() for claim in result.claims],
            "figures": dict(figures),
            "arrays": {k: [list(v.shape), v.dtype.str] for k, v in arrays.items()},
            "nan_ok": list(result.nan_ok),
            "meta": _jsonable(dict(result.meta)),
            "seconds": seconds,
        }
        mngr = _ckpt.manager(self.directory / slug, max_to_keep=1)
        try:  # orbax needs a non-empty tree; `_stage_done` marks the stage as complete
            _ckpt.save(mngr, 0, {"arrays": arrays, "_stage_done": np.ones((), np.int8)}, meta)
        finally:
            mngr.close()

    def load(self, slug: str) -> tuple[StageResult, dict[str, str], float] | None:
        path = self.directory / slug
        if not path.is_dir():
            return None
        mngr = _ckpt.manager(path, max_to_keep=1)
        try:
            if _ckpt.latest_step(mngr) is None:
                return None
            meta = _ckpt.restore_meta(mngr)
            if meta.get("fingerprint") != self.fingerprint:
                raise ValueError(
                    f"the checkpoint in {path} was made with another seed or scale; "
                    "rerun without --resume to start afresh"
                )
            target = {
                "arrays": {
                    k: jax.ShapeDtypeStruct(tuple(shape), np.dtype(dtype))
                    for k, (shape, dtype) in meta["arrays"].items()
                },
                "_stage_done": jax.ShapeDtypeStruct((), np.int8),
            }
            state, _ = _ckpt.restore(mngr, target)
        finally:
            mngr.close()
        result = StageResult(
            claims=tuple(Claim.from_dict(c) for c in meta["claims"]),
            arrays={k: np.asarray(v) for k, v in state["arrays"].items()},
            nan_ok=tuple(meta["nan_ok"]),
            meta=meta["meta"],
        )
        return result, meta["figures"], float(meta["seconds"])


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt, so a killed run unwinds like Ctrl-C (main thread only)."""

    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _save_figures(report: Report, figures: Mapping[str, Any]) -> dict[str, str]:
    for stem, figure in figures.items():
        report.add_figure(stem, figure)
    return {stem: report.figures[stem] for stem in figures}


def _collect(report: Report, done: dict[str, np.ndarray], name: str, result: StageResult):
    report.add(*result.claims)
    for array_name, value in result.arrays.items():
        if array_name in done:
            raise ValueError(f"stage {name!r}: array name {array_name!r} is already used")
        done[array_name] = np.asarray(value)
    report.add_arrays(**result.arrays)


def run(
    name: str,
    title: str,
    stages: Sequence[Stage | tuple[str, StageFn]],
    scale: Any,
    key: jax.Array,
    workdir: str | Path,
    *,
    resume: bool = False,
    checkpoint_dir: str | Path | None = None,
    show_progress: bool = True,
) -> Report:
    """Run ``stages`` in order and collect their claims, arrays and figures into a Report.

    Args:
        name: the reproduction's name (``"pair_ci"``).
        title: one line saying what is reproduced.
        stages: the experiment's ``STAGES``; names must be unique.
        scale: the experiment's ``Scale`` (``Scale.quick()`` or ``Scale.full()``).
        key: the run key; stage keys are derived from it and the stage names.
        workdir: where figures, arrays and the ``ckpt/`` folder go.
        resume: restore finished stages from the checkpoints instead of running them.
        checkpoint_dir: where finished stages are saved; ``workdir/ckpt`` by default.
        show_progress: False hides the bar over stages.

    Returns:
        The :class:`Report`; ``meta`` holds ``stages`` (seconds per stage) and
        ``resumed_stages``.

    Raises:
        FloatingPointError: a stage produced NaN (its name is in the message).
        ValueError: duplicate stage names, or ``resume`` onto another run's checkpoints.
    """
    stages = [Stage(*stage) for stage in stages]
    names = [stage.name for stage in stages]
    if len(set(names)) != len(names):
        raise ValueError(f"stage names must be unique, got {names}")
    report = Report(name, title, Path(workdir))
    checkpoint_dir = Path(workdir) / "ckpt" if checkpoint_dir is None else Path(checkpoint_dir)
    store = _StageStore(checkpoint_dir, _fingerprint(scale, np.asarray(jax.random.key_data(key))))
    report.meta.update(scale=scale, stages={}, resumed_stages=[])
    done: dict[str, np.ndarray] = {}
    bar = progress(total=len(stages), desc=name, disable=not show_progress)
    with _sigterm_as_interrupt(), bar:
        for index, stage in enumerate(stages):
            slug = _slug(index, stage.name)
            bar.set_postfix_str(stage.name)
            restored = store.load(slug) if resume else None
            if restored is not None:
                result, figures, seconds = restored
                report.figures.update(figures)
                report.meta["resumed_stages"].append(stage.name)
            else:
                start = time.perf_counter()
                result = stage.fn(stage_key(key, stage.name), scale, dict(done))
                if not isinstance(result, StageResult):
                    raise TypeError(
                        f"stage {stage.name!r} must return a StageResult, "
                        f"got {type(result).__name__}"
                    )
                _check_finite(stage.name, result)
                figures = _save_figures(report, result.figures)
                seconds = round(time.perf_counter() - start, 2)
                store.save(slug, result, figures, seconds)
            _collect(report, done, stage.name, result)
            report.meta["stages"][stage.name] = {"seconds": seconds, **dict(result.meta)}
            bar.update(1)
    return report
