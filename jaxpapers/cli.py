"""The ``jaxpapers`` command: list the reproductions and run them.

Thin on purpose: parse the arguments, look the names up in the registry, run each reproduction's
stages (:mod:`jaxpapers._stages`), save and print its report. Exit status: 0 when every claim of
every reproduction passed, 1 when any claim failed or a run raised, 2 on a usage error.

With ``--distributed`` the command first calls ``jax.distributed.initialize()`` (JAX detects
SLURM, Open MPI, Kubernetes and Cloud TPU jobs itself; elsewhere set ``JAX_COORDINATOR_ADDRESS``,
``JAX_NUM_PROCESSES`` and ``JAX_PROCESS_ID``: JAX reads the first, this command passes the other
two, which JAX 0.10 does not read); every process runs the same program over the global device
mesh, orbax saves the stage checkpoints collectively (``--out`` must be on a file system all
processes see), and only process 0 writes the report.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jaxpapers._registry import Registry, UnknownReproductionError, default_registry

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

_DESCRIPTION = """\
jaxpapers re-runs the headline experiment of each paper it implements and prints every claim
of the paper next to the value measured on your machine.

  jaxpapers list                          what can be reproduced
  jaxpapers reproduce all --quick         every reproduction, CPU-sized (minutes)
  jaxpapers reproduce pair_ci --full      one reproduction at the paper's scale (GPU advised)

Each run writes OUT/NAME/report.json, report.md, figures (*.png) and raw arrays (arrays.npz).
"""


class _UsageError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jaxpapers",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    commands.add_parser("list", help="list the reproductions: name, paper, one line each")

    reproduce = commands.add_parser(
        "reproduce",
        help="re-run papers' headline experiments and check their claims",
        description="Re-run the headline experiment of each named paper and check its claims. "
        "Exits 1 if any claim is not reproduced.",
    )
    reproduce.add_argument(
        "names", nargs="+", metavar="NAME", help="reproductions to run (see `list`), or `all`"
    )
    size = reproduce.add_mutually_exclusive_group()
    size.add_argument(
        "--quick",
        dest="mode",
        action="store_const",
        const="quick",
        help="CPU-sized configuration, minutes on a laptop (the default)",
    )
    size.add_argument(
        "--full",
        dest="mode",
        action="store_const",
        const="full",
        help="the paper's scale; hours, a GPU advised",
    )
    reproduce.set_defaults(mode="quick")
    reproduce.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    reproduce.add_argument(
        "--out",
        type=Path,
        default=Path("jaxpapers-out"),
        help="output folder; each reproduction writes OUT/NAME/ (default: ./jaxpapers-out)",
    )
    reproduce.add_argument(
        "--resume",
        action="store_true",
        help="skip the stages finished in OUT/NAME/ckpt instead of starting afresh",
    )
    reproduce.add_argument(
        "--distributed",
        action="store_true",
        help="call jax.distributed.initialize() first: one process per host of a multi-host "
        "GPU/TPU job; process 0 writes the report",
    )
    return parser


def _resolve(names: Sequence[str], registry: Registry) -> list[str]:
    if list(names) == ["all"]:
        return registry.names()
    if "all" in names:
        raise _UsageError("`all` cannot be combined with other names")
    for name in names:
        if name not in registry:
            raise _UsageError(str(UnknownReproductionError(name, registry.names())))
    return list(dict.fromkeys(names))


def _is_writer() -> bool:
    import jax

    return jax.process_index() == 0


def _prepare_workdir(out: Path, name: str, resume: bool) -> Path:
    workdir = out / name
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        probe = workdir / f".write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        raise _UsageError(
            f"cannot write to --out {str(out)!r}: {error.strerror or error}"
        ) from None
    if not resume and _is_writer():
        shutil.rmtree(workdir / "ckpt", ignore_errors=True)
    _sync_processes("jaxpapers: output folder ready")
    return workdir


def _sync_processes(name: str) -> None:
    """Every process of a multi-process job waits here for the others."""
    import jax

    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices(name)


def _run_one(registry: Registry, name: str, args: argparse.Namespace, workdir: Path) -> bool:
    import jax

    entry = registry.get(name)
    print(f"\n=== {name} ({args.mode}): {entry.title}", flush=True)
    start = time.perf_counter()
    report = entry.run(
        args.mode,
        jax.random.key(args.seed),
        workdir,
        resume=args.resume,
        show_progress=_is_writer(),
    )
    report.meta.update(
        mode=args.mode,
        seed=args.seed,
        seconds=round(time.perf_counter() - start, 1),
        jax=jax.__version__,
        device=str(jax.devices()[0].device_kind),
        num_devices=jax.device_count(),
        num_processes=jax.process_count(),
    )
    if _is_writer():
        report.save(workdir)
        print(report.table(), flush=True)
        print(f"wrote {workdir / 'report.md'}", flush=True)
    return report.passed


def _list(registry: Registry) -> int:
    if not len(registry):
        print("no reproductions are registered yet")
        return EXIT_OK
    for name in registry.names():
        entry = registry.get(name)
        print(f"{name:<22} {entry.paper} — {entry.title}")
    return EXIT_OK


def _process_layout() -> dict[str, Any]:
    """``num_processes`` / ``process_id`` from ``JAX_NUM_PROCESSES`` / ``JAX_PROCESS_ID`` if set
    (JAX reads ``JAX_COORDINATOR_ADDRESS`` itself but not these two); else JAX's detection."""
    layout = {}
    for name, argument in (
        ("JAX_NUM_PROCESSES", "num_processes"),
        ("JAX_PROCESS_ID", "process_id"),
    ):
        value = os.environ.get(name)
        if value is not None:
            try:
                layout[argument] = int(value)
            except ValueError:
                raise _UsageError(f"{name} must be an integer, got {value!r}") from None
    return layout


def _reproduce(registry: Registry, args: argparse.Namespace) -> int:
    names = _resolve(args.names, registry)
    if args.distributed:
        import jax

        jax.distributed.initialize(**_process_layout())
    if not names:
        print("no reproductions are registered yet; nothing to run")
        return EXIT_OK
    workdirs = {name: _prepare_workdir(args.out, name, args.resume) for name in names}
    outcome = {}
    for name in names:
        try:
            outcome[name] = "passed" if _run_one(registry, name, args, workdirs[name]) else "FAILED"
        except Exception:  # one broken run must not hide the others' results
            traceback.print_exc()
            outcome[name] = "ERROR"
    print("\nsummary: " + ", ".join(f"{n} {v}" for n, v in outcome.items()))
    return EXIT_OK if all(v == "passed" for v in outcome.values()) else EXIT_FAILED


def main(argv: Sequence[str] | None = None, registry: Registry | None = None) -> int:
    """Entry point of the ``jaxpapers`` console script; returns the exit status."""
    args = _parser().parse_args(argv)  # argparse exits 2 on a usage error
    registry = default_registry() if registry is None else registry
    try:
        if args.command == "list":
            return _list(registry)
        return _reproduce(registry, args)
    except _UsageError as error:
        print(f"jaxpapers: error: {error}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
