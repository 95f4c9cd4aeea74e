"""Device meshes, logical-axis rules, and sharding of batch axes.

Everything embarrassingly parallel in jaxpapers (seeds, permutations, bootstrap replicates,
imputations, candidate tests, clients, sequences) is written for one element and ``vmap``-ped;
this module spreads that leading axis over the devices. The same code runs on one CPU, on the 8
fake CPU devices of the tests, on a GPU, and on a multi-host mesh after
``jax.distributed.initialize()``.

In a multi-process job (one process per host, JAX's multi-controller runtime) every process
runs the same program: :func:`shard_batch` and :func:`sharded_vmap` build global arrays from the
values each process holds (``jax.make_array_from_process_local_data``: every process passes the
same full batch and keeps the shards of its own devices), and :func:`sharded_vmap` gathers its
outputs back to every process (``process_allgather``), so each process reads the whole result.

Meshes use automatic axis types (``AxisType.Auto``), so XLA's sharding propagation decides the
layout of intermediates; we only pin inputs and outputs.

Flax models name their parameter axes logically (``"embed"``, ``"mlp"``, ``"heads"``, ``"vocab"``,
``"batch"``...). An :class:`AxisRules` maps those names to mesh axes: :data:`FSDP_RULES` shards
parameters over ``data``, :data:`TENSOR_PARALLEL_RULES` over ``model``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import jax
import jax.numpy as jnp
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec

__all__ = [
    "DATA",
    "FSDP_RULES",
    "MODEL",
    "REPLICATED_RULES",
    "TENSOR_PARALLEL_RULES",
    "AxisRules",
    "batch_sharding",
    "gather",
    "make_mesh",
    "put_global",
    "replicated",
    "shard_batch",
    "sharded_vmap",
]

DATA, MODEL = "data", "model"


def make_mesh(
    shape: Sequence[int] | None = None,
    axis_names: Sequence[str] = (DATA, MODEL),
    devices: Sequence[Any] | None = None,
) -> Mesh:
    """A mesh with automatic axis types over the available devices.

    Args:
        shape: devices along each axis; default: all devices on the first axis, 1 on the others.
        axis_names: mesh axis names, ``("data", "model")`` by default.
        devices: which devices; default: all of ``jax.devices()``.
    """
    axis_names = tuple(axis_names)
    devices = list(jax.devices() if devices is None else devices)
    if shape is None:
        shape = (len(devices),) + (1,) * (len(axis_names) - 1)
    shape = tuple(int(s) for s in shape)
    if len(shape) != len(axis_names):
        raise ValueError(f"shape {shape} and axis_names {axis_names} must have the same length")
    if math.prod(shape) != len(devices):
        raise ValueError(
            f"mesh shape {shape} needs {math.prod(shape)} devices, but {len(devices)} are given"
        )
    axis_types = (jax.sharding.AxisType.Auto,) * len(axis_names)
    return jax.make_mesh(shape, axis_names, axis_types=axis_types, devices=devices)


def replicated(mesh: Mesh) -> NamedSharding:
    """The sharding that keeps a full copy on every device of ``mesh``."""
    return NamedSharding(mesh, PartitionSpec())


def batch_sharding(mesh: Mesh, axis: str | Sequence[str] = DATA) -> NamedSharding:
    """Shard the leading axis over the mesh axis (or axes) ``axis``; the others replicated."""
    axis = axis if isinstance(axis, str) else tuple(axis)
    return NamedSharding(mesh, PartitionSpec(axis))


def _axis_size(mesh: Mesh, axis: str | Sequence[str]) -> int:
    names = (axis,) if isinstance(axis, str) else tuple(axis)
    for name in names:
        if name not in mesh.shape:
            raise ValueError(f"mesh has axes {tuple(mesh.shape)}, not {name!r}")
    return math.prod(mesh.shape[name] for name in names)


def _is_key(leaf: Any) -> bool:
    dtype = getattr(leaf, "dtype", None)
    return dtype is not None and jnp.issubdtype(dtype, jax.dtypes.prng_key)


def put_global(leaf: Any, sharding: NamedSharding) -> jax.Array:
    """``leaf`` placed with ``sharding``, a value every process holds in full.

    One process: ``jax.device_put``. Several processes: a global array built from the
    process-local copy (``jax.make_array_from_process_local_data`` with the global shape equal
    to the local one: each process keeps the shards of its own devices). Typed PRNG keys travel
    as their key data and are wrapped again.
    """
    if jax.process_count() == 1:
        return jax.device_put(leaf, sharding)
    if _is_key(leaf):
        impl = jax.random.key_impl(leaf)
        data = put_global(jax.random.key_data(leaf), sharding)
        return jax.random.wrap_key_data(data, impl=impl)
    data = np.asarray(leaf)
    return jax.make_array_from_process_local_data(sharding, data, data.shape)


def gather(tree: Any) -> Any:
    """Every process's full copy of a pytree of (possibly process-spanning) global arrays.

    One process: ``tree`` itself (arrays keep their sharding). Several processes: host numpy
    arrays of the global shapes, gathered with ``process_allgather``.
    """
    if jax.process_count() == 1:
        return tree
    return multihost_utils.process_allgather(tree, tiled=True)


def shard_batch(tree: Any, mesh: Mesh, axis: str | Sequence[str] = DATA) -> Any:
    """Place every array of ``tree`` with its leading axis sharded over ``axis``.

    The leading axis must be divisible by the number of devices along ``axis``; use
    :func:`sharded_vmap`, which pads, when it may not be. In a multi-process job every process
    passes the same full ``tree`` (see :func:`put_global`).
    """
    size = _axis_size(mesh, axis)
    sharding = batch_sharding(mesh, axis)

    def place(leaf):
        leaf = jnp.asarray(leaf)
        if leaf.ndim == 0 or leaf.shape[0] % size:
            raise ValueError(
                f"cannot shard a leading axis of shape {leaf.shape} over {size} devices of "
                f"mesh axis {axis!r}: its length must be a multiple of {size}"
            )
        return put_global(leaf, sharding)

    return jax.tree.map(place, tree)


def _pad_leading(tree: Any, multiple: int) -> tuple[Any, int]:
    lengths = {leaf.shape[0] for leaf in jax.tree.leaves(tree)}
    if len(lengths) != 1:
        raise ValueError(f"batched arguments disagree on the batch size: {sorted(lengths)}")
    (length,) = lengths
    padded = -(-length // multiple) * multiple

    def pad(leaf):  # repeat the last element: valid input, discarded afterwards
        if padded == length:
            return leaf
        extra = jnp.repeat(leaf[-1:], padded - length, axis=0)
        return jnp.concatenate([leaf, extra], axis=0)

    return jax.tree.map(pad, tree), length


def sharded_vmap(
    fn: Callable[..., Any],
    mesh: Mesh | None = None,
    *,
    in_axes: int | None | Sequence[int | None] = 0,
    axis: str | Sequence[str] = DATA,
) -> Callable[..., Any]:
    """``jit(vmap(fn))`` with the batch axis of inputs and outputs sharded over ``axis``.

    Write ``fn`` for one element; arguments with ``in_axes`` 0 carry a leading batch axis (of
    any length: it is padded to a multiple of the device count and the padding is dropped from
    the result), arguments with ``in_axes`` None are broadcast (replicated). Outputs have the
    batch axis first and are sharded over ``axis``. In a multi-process job every process calls
    the wrapper with the same arguments and gets the whole result back as host arrays (see
    :func:`gather`).

    Args:
        fn: the per-element function.
        mesh: default: :func:`make_mesh` over all devices.
        in_axes: 0 or None per positional argument (a single value applies to all).
        axis: the mesh axis (or axes) that splits the batch.
    """
    mesh = make_mesh() if mesh is None else mesh
    size = _axis_size(mesh, axis)
    batched = jax.jit(jax.vmap(fn, in_axes=in_axes), out_shardings=batch_sharding(mesh, axis))

    def wrapped(*args):
        axes = (in_axes,) * len(args) if not isinstance(in_axes, Sequence) else tuple(in_axes)
        if len(axes) != len(args):
            raise ValueError(f"in_axes has {len(axes)} entries for {len(args)} arguments")
        if any(a not in (0, None) for a in axes):
            raise ValueError(f"in_axes entries must be 0 or None, got {axes}")
        mapped = [arg for arg, a in zip(args, axes, strict=True) if a == 0]
        if not mapped:
            raise ValueError("sharded_vmap needs at least one argument with in_axes=0")
        mapped, length = _pad_leading(mapped, size)
        mapped = shard_batch(mapped, mesh, axis)
        rest = iter(mapped)
        placed = [
            next(rest) if a == 0 else jax.tree.map(lambda x: put_global(x, replicated(mesh)), arg)
            for arg, a in zip(args, axes, strict=True)
        ]
        out = gather(batched(*placed))
        if jax.tree.leaves(mapped)[0].shape[0] == length:
            return out
        return jax.tree.map(lambda leaf: leaf[:length], out)

    return wrapped


@dataclasses.dataclass(frozen=True, unsafe_hash=True)
class AxisRules:
    """Map logical axis names of model parameters/activations to mesh axes.

    ``rules`` is a tuple of ``(logical_name, mesh_axis_or_None)``; a name that is not listed is
    replicated. Hashable, so it can be a static argument or a field of a frozen config.
    """

    rules: tuple[tuple[str, str | tuple[str, ...] | None], ...]

    def mesh_axes(self, logical: Sequence[str | None] | None) -> PartitionSpec:
        """The ``PartitionSpec`` over mesh axes for a tuple of logical names."""
        if logical is None:
            return PartitionSpec()
        table = dict(self.rules)
        used: set[str] = set()
        spec = []
        for name in logical:
            target = table.get(name) if name is not None else None
            targets = (target,) if isinstance(target, str) else tuple(target or ())
            if any(t in used for t in targets):  # a mesh axis may shard one dimension only
                target = None
            used.update(targets)
            spec.append(target)
        return PartitionSpec(*spec)

    def sharding(self, mesh: Mesh, logical: Sequence[str | None] | None) -> NamedSharding:
        """The ``NamedSharding`` for a tuple of logical names, dropping axes the mesh lacks."""
        spec = self.mesh_axes(logical)
        names = set(mesh.axis_names)
        spec = PartitionSpec(*[s if (s is None or _within(s, names)) else None for s in spec])
        return NamedSharding(mesh, spec)

    def tree_shardings(self, mesh: Mesh, logical_tree: Any) -> Any:
        """Shardings for a pytree whose leaves are tuples of logical names (or None)."""
        return jax.tree.map(
            lambda logical: self.sharding(mesh, logical),
            logical_tree,
            is_leaf=lambda x: (
                x is None
                or (isinstance(x, tuple) and all(isinstance(n, str | type(None)) for n in x))
            ),
        )


def _within(target: str | tuple[str, ...], names: set[str]) -> bool:
    targets = (target,) if isinstance(target, str) else target
    return all(t in names for t in targets)


# Batch over `data` everywhere; parameters replicated.
REPLICATED_RULES = AxisRules((("batch", DATA),))
# Fully sharded data parallel: batch and the embedding dimension of parameters over `data`.
FSDP_RULES = AxisRules((("batch", DATA), ("embed", DATA)))
# Tensor parallel (Megatron-style): heads, MLP width and vocabulary over `model`, batch over `data`.
TENSOR_PARALLEL_RULES = AxisRules(
    (("batch", DATA), ("heads", MODEL), ("kv_heads", MODEL), ("mlp", MODEL), ("vocab", MODEL))
)
