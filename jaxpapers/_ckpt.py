"""Checkpoints: the one module that imports Orbax.

A checkpoint holds a pytree of arrays (``state``, sharded or not) and a JSON dictionary of
metadata (``meta``: step counters, configuration, anything a resumed run must know). Restore
into an abstract target made with ``jax.eval_shape`` (or ``nnx`` abstract models): the target
gives shapes, dtypes and shardings, so a sharded state comes back sharded and nothing is
materialised whole on one device. Typed PRNG keys are stored as their raw key data and wrapped
again on restore.

Keeping Orbax behind these few functions makes a move to ``orbax.checkpoint.v1`` a one-file change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import jax
import jax.numpy as jnp
import orbax.checkpoint as ocp

__all__ = ["latest_step", "load", "manager", "restore", "restore_meta", "save"]


def _is_key(leaf: Any) -> bool:
    dtype = getattr(leaf, "dtype", None)
    return dtype is not None and jnp.issubdtype(dtype, jax.dtypes.prng_key)


def _keys_to_data(tree: Any) -> Any:
    return jax.tree.map(lambda x: jax.random.key_data(x) if _is_key(x) else x, tree)


def _abstract_keys_to_data(tree: Any) -> Any:
    def convert(leaf):
        if not _is_key(leaf):
            return leaf
        data = jax.eval_shape(jax.random.key_data, leaf)
        sharding = getattr(leaf, "sharding", None)
        if sharding is not None:  # key data has one more (unsharded) trailing axis
            sharding = jax.sharding.NamedSharding(
                sharding.mesh, jax.sharding.PartitionSpec(*sharding.spec)
            )
        return jax.ShapeDtypeStruct(data.shape, data.dtype, sharding=sharding)

    return jax.tree.map(convert, tree)


def _data_to_keys(restored: Any, abstract: Any) -> Any:
    def convert(value, leaf):
        if not _is_key(leaf):
            return value
        return jax.random.wrap_key_data(value, impl=leaf.dtype._impl.name)

    return jax.tree.map(convert, restored, abstract)


def _abstract(tree: Any) -> Any:
    """Shape/dtype/sharding targets for a concrete or abstract pytree."""

    def to_struct(leaf):
        if isinstance(leaf, jax.ShapeDtypeStruct):
            return leaf
        array = leaf if isinstance(leaf, jax.Array) else np.asarray(leaf)
        sharding = getattr(array, "sharding", None)
        return jax.ShapeDtypeStruct(array.shape, array.dtype, sharding=sharding)

    return jax.tree.map(to_struct, tree)


def manager(directory: str | Path, *, max_to_keep: int | None = 2) -> ocp.CheckpointManager:
    """A checkpoint manager over ``directory`` (created if missing) keeping the newest steps.

    In a multi-process job every process calls :func:`save` and :func:`restore` in the same
    order (orbax synchronises them); host-local numpy data is written once, by process 0, so
    ``directory`` must be on a file system all processes see.
    """
    directory = Path(directory).absolute()
    if jax.process_index() == 0:
        directory.mkdir(parents=True, exist_ok=True)
    options = ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True)
    return ocp.CheckpointManager(directory, options=options)


def save(mngr: ocp.CheckpointManager, step: int, state: Any, meta: dict | None = None) -> None:
    """Save ``state`` (a pytree of arrays) and ``meta`` (JSON) as ``step``; waits for the write.

    Waiting keeps the contract simple: when ``save`` returns the checkpoint is complete, so a
    process killed right after still resumes from it.
    """
    args = ocp.args.Composite(
        state=ocp.args.StandardSave(_keys_to_data(state)),
        meta=ocp.args.JsonSave(dict(meta or {})),
    )
    mngr.save(int(step), args=args, force=True)
    mngr.wait_until_finished()


def latest_step(mngr: ocp.CheckpointManager) -> int | None:
    """The newest saved step, or None when the directory holds no checkpoint."""
    return mngr.latest_step()


def restore(mngr: ocp.CheckpointManager, target: Any, step: int | None = None) -> tuple[Any, dict]:
    """Restore ``(state, meta)`` into ``target``'s structure, shapes, dtypes and shardings.

    Args:
        mngr: from :func:`manager`.
        target: a pytree of ``jax.ShapeDtypeStruct`` (``jax.eval_shape(init, ...)``) or of
            concrete arrays whose structure and shardings the restored state should take.
        step: which step; the newest when None.
    """
    step = mngr.latest_step() if step is None else step
    if step is None:
        raise FileNotFoundError(f"no checkpoint in {mngr.directory}")
    abstract = _abstract(target)
    args = ocp.args.Composite(
        state=ocp.args.StandardRestore(_abstract_keys_to_data(abstract)),
        meta=ocp.args.JsonRestore(),
    )
    restored = mngr.restore(step, args=args)
    return _data_to_keys(restored["state"], abstract), dict(restored["meta"] or {})


def restore_meta(mngr: ocp.CheckpointManager, step: int | None = None) -> dict:
    """Only the JSON metadata of ``step`` (the newest when None), without reading the arrays."""
    step = mngr.latest_step() if step is None else step
    if step is None:
        raise FileNotFoundError(f"no checkpoint in {mngr.directory}")
    restored = mngr.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))
    return dict(restored["meta"] or {})


def load(directory: str | Path, target: Any, step: int | None = None) -> tuple[Any, dict]:
    """One-call restore from ``directory`` (see :func:`restore`)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"checkpoint directory {str(directory)!r} does not exist")
    mngr = manager(directory, max_to_keep=None)
    try:
        return restore(mngr, target, step)
    finally:
        mngr.close()
