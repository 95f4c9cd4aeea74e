"""Sharding a model over a device mesh with the logical-axis rules of :mod:`jaxpapers._mesh`."""

from __future__ import annotations

from typing import Any

import jax
from flax import nnx
from jax.sharding import Mesh

from jaxpapers._mesh import AxisRules
from jaxpapers.nn._config import LlamaConfig
from jaxpapers.nn._model import Llama

__all__ = ["init_sharded", "logical_axes", "shard_model", "state_shardings"]


def _is_variable(x) -> bool:
    return isinstance(x, nnx.Variable)


def logical_axes(model: Llama) -> Any:
    """The ``logical_axes`` tuple of every parameter, e.g. ``("layers", "embed", "mlp")``."""
    return jax.tree.map(
        lambda v: v.get_metadata().get("logical_axes"), nnx.state(model), is_leaf=_is_variable
    )


def state_shardings(state: Any, mesh: Mesh, rules: AxisRules) -> Any:
    """A ``NamedSharding`` per variable of ``state`` (concrete or abstract) under ``rules``."""
    return jax.tree.map(
        lambda v: rules.sharding(mesh, v.get_metadata().get("logical_axes")),
        state,
        is_leaf=_is_variable,
    )


def shard_model(model: Llama, mesh: Mesh, rules: AxisRules) -> Llama:
    """Place ``model``'s parameters on ``mesh`` as ``rules`` say (in place; returns it too)."""
    state = nnx.state(model)
    nnx.update(model, jax.device_put(state, state_shardings(state, mesh, rules)))
    return model


def init_sharded(
    config: LlamaConfig, mesh: Mesh, rules: AxisRules, *, seed: int = 0, init_std: float = 0.02
) -> Llama:
    """A freshly initialised model whose parameters are created already sharded.

    ``nnx.eval_shape`` gives the abstract model, ``rules`` its shardings, and a ``jit`` with
    those ``out_shardings`` creates each shard on its device: no full copy on one device.
    """

    def init():
        return Llama(config, rngs=nnx.Rngs(seed), init_std=init_std)

    graphdef, abstract = nnx.split(nnx.eval_shape(init))
    shardings = state_shardings(abstract, mesh, rules)
    state = jax.jit(lambda: nnx.state(init()), out_shardings=shardings)()
    return nnx.merge(graphdef, state)
