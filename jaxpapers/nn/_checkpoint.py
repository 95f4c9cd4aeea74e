"""Orbax checkpoints of a model (through :mod:`jaxpapers._ckpt`), restored already sharded."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import jax
from flax import nnx
from jax.sharding import Mesh

from jaxpapers import _ckpt
from jaxpapers._mesh import AxisRules
from jaxpapers.nn._config import LlamaConfig, RopeScaling
from jaxpapers.nn._model import Llama
from jaxpapers.nn._sharding import state_shardings

__all__ = ["load_checkpoint", "save_checkpoint"]


def _config_to_json(config: LlamaConfig) -> dict[str, Any]:
    return dataclasses.asdict(config)


def _config_from_json(data: dict[str, Any]) -> LlamaConfig:
    scaling = data.get("rope_scaling")
    return LlamaConfig(**{**data, "rope_scaling": RopeScaling(**scaling) if scaling else None})


def save_checkpoint(
    model: Llama, directory: str | Path, step: int = 0, meta: dict | None = None
) -> None:
    """Save the model's parameters (sharded or not) and its config as checkpoint ``step``."""
    mngr = _ckpt.manager(directory, max_to_keep=None)
    try:
        state = nnx.to_pure_dict(nnx.state(model))
        _ckpt.save(mngr, step, state, {"config": _config_to_json(model.config), **(meta or {})})
    finally:
        mngr.close()


def load_checkpoint(
    directory: str | Path,
    config: LlamaConfig,
    *,
    mesh: Mesh | None = None,
    rules: AxisRules | None = None,
    step: int | None = None,
) -> tuple[Llama, dict]:
    """Restore ``(model, meta)`` saved by :func:`save_checkpoint` (the newest step by default).

    The restore target is the abstract model of ``config`` (``nnx.eval_shape``); with ``mesh``
    and ``rules`` it carries their shardings, so each shard is read onto its own device and the
    full parameters are never materialised on one. Raises ``ValueError`` if the checkpoint was
    saved from a different config.
    """
    if (mesh is None) != (rules is None):
        raise ValueError("load_checkpoint: give mesh and rules together, or neither")
    graphdef, abstract = nnx.split(nnx.eval_shape(lambda: Llama(config, rngs=nnx.Rngs(0))))
    target = nnx.to_pure_dict(abstract)
    if mesh is not None and rules is not None:
        shardings = nnx.to_pure_dict(state_shardings(abstract, mesh, rules))
        target = jax.tree.map(
            lambda leaf, sharding: jax.ShapeDtypeStruct(leaf.shape, leaf.dtype, sharding=sharding),
            target,
            shardings,
        )
    state, meta = _ckpt.load(directory, target, step)
    saved = _config_from_json(meta.pop("config"))
    if saved != config:
        raise ValueError(f"the checkpoint holds a model of config {saved}, not {config}")
    nnx.replace_by_pure_dict(abstract, state)
    return nnx.merge(graphdef, abstract), meta
