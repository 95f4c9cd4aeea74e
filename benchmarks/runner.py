"""Time ours against a peer in one process, after compilation, and write the comparison.

A benchmark script (``benchmarks/<method>.py``, run as ``python -m benchmarks.<method>``) builds
its inputs once, then calls :func:`compare` for each case with zero-argument callables: ours (a
jitted function, compiled by a warm-up call that is not timed) and one or more peers. Each
callable is timed ``repeats`` times; outputs of JAX callables are blocked on so that asynchronous
dispatch is not mistaken for speed. :func:`write_results` stores every case as JSON and as a
Markdown table with the machine description and the peer/ours ratios.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jax

RESULTS = Path(__file__).parent / "results"

__all__ = ["Case", "compare", "compile_seconds", "machine", "time_callable", "write_results"]


def time_callable(fn: Callable[[], Any], *, repeats: int = 7, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls of ``fn`` after ``warmup`` untimed calls."""
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    for _ in range(warmup):
        jax.block_until_ready(fn())
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return times


@dataclasses.dataclass
class Case:
    """One timed comparison: ours against each peer on the same problem."""

    name: str
    problem: str
    ours_s: float
    peers_s: dict[str, float]
    repeats: int
    compile_s: float | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def ratios(self) -> dict[str, float]:
        """Speed-up of ours over each peer (peer median time / our median time)."""
        return {peer: seconds / self.ours_s for peer, seconds in self.peers_s.items()}


def compare(
    name: str,
    problem: str,
    ours: Callable[[], Any],
    peers: Mapping[str, Callable[[], Any]],
    *,
    repeats: int = 7,
    peer_repeats: int | None = None,
    compile_s: float | None = None,
    **extra: Any,
) -> Case:
    """Median time of ours and of each peer; ``extra`` records accuracy, sizes, dtype..."""
    ours_times = time_callable(ours, repeats=repeats)
    peer_times = {
        peer: statistics.median(time_callable(fn, repeats=peer_repeats or repeats))
        for peer, fn in peers.items()
    }
    case = Case(
        name, problem, statistics.median(ours_times), peer_times, repeats, compile_s, dict(extra)
    )
    ratio_text = ", ".join(f"{p} {r:.3g}x" for p, r in case.ratios.items())
    print(f"{name}: ours {case.ours_s * 1e3:.3g} ms; speed-up vs {ratio_text}", flush=True)
    return case


def compile_seconds(jitted: Callable[..., Any], *args: Any) -> float:
    """Seconds to lower and compile ``jitted`` for ``args`` (measured apart from run time)."""
    start = time.perf_counter()
    jitted.lower(*args).compile()
    return time.perf_counter() - start


# The 1-minute load average when the benchmark script started (it imports this module first):
# what else was running. The load at write time includes the benchmark's own threads.
_LOAD_AT_START = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def machine() -> dict[str, Any]:
    """What the numbers were measured on, and how busy it was (1-minute load averages)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            names = [line.split(":", 1)[1].strip() for line in info if "model name" in line]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    device = jax.devices()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "device": f"{device.platform}:{device.device_kind}",
        "device_count": jax.device_count(),
        "load_at_start": round(_LOAD_AT_START, 2),
        "load_at_end": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def write_results(method: str, cases: Sequence[Case], directory: Path = RESULTS) -> Path:
    """Write ``<method>.json`` and ``<method>.md`` (the table of ratios) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    host = machine()
    records = [{**dataclasses.asdict(case), "ratios": case.ratios} for case in cases]
    (directory / f"{method}.json").write_text(
        json.dumps({"method": method, "machine": host, "cases": records}, indent=2) + "\n"
    )
    lines = [
        f"# {method}: benchmark",
        "",
        f"Machine: {host['cpu']}, {host['cores']} cores, {host['device']}, "
        f"JAX {host['jax']}, Python {host['python']}; 1-minute load average "
        f"{host['load_at_start']} at the start, {host['load_at_end']} at the end (the "
        "benchmark's own threads included).",
        "Median wall time over repeats, after compilation; speed-up = peer time / our time.",
        "",
        "| case | problem | ours | peer | peer time | speed-up | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for case in cases:
        notes = ", ".join(f"{k}={_short(v)}" for k, v in case.extra.items())
        for peer, seconds in case.peers_s.items():
            lines.append(
                f"| {case.name} | {case.problem} | {_seconds(case.ours_s)} | {peer} | "
                f"{_seconds(seconds)} | {case.ratios[peer]:.3g}x | {notes} |"
            )
    path = directory / f"{method}.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def _seconds(value: float) -> str:
    return f"{value * 1e3:.3g} ms" if value < 1 else f"{value:.3g} s"


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
