"""The conformance checks every method's main entry points must pass.

Call :func:`check_conformance` from a method's tests::

    from tests.conformance import check_conformance

    def test_conformance(key):
        data = ...
        check_conformance(lambda k, d: my_method.estimate(k, d, config), key, data)

For a function of a key (``keyed=True``, the default) it checks that

1. it runs under ``jax.jit`` and the jitted result equals the eager one;
2. a second call with new values of the same shapes compiles nothing new, jitted or eager
   (catches functions that re-jit fresh closures or retrace on every call);
3. the same key gives the identical output, bit for bit;
4. different keys give different outputs (the key is really used);
5. ``vmap`` over a batch of keys equals a Python loop over them;
6. every floating output is finite.

For a deterministic function (``keyed=False``) checks 1, 2 and 6 apply. Each failure raises
:class:`ConformanceError` saying which property broke.

:func:`check_abstract_init` checks that an ``init`` accepts ``jax.ShapeDtypeStruct`` inputs, and
:func:`check_state_stability` that a step keeps the state's structure, shapes, dtypes and
shardings (so it can be carried by ``lax.scan`` and donated under ``jit``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import jax
import jax.numpy as jnp

from tests.helpers import tree_allclose, tree_equal

__all__ = [
    "ConformanceError",
    "check_abstract_init",
    "check_conformance",
    "check_state_stability",
    "count_compilations",
]

_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"
_compilations = [0]


def _on_event(event: str, duration: float, **kwargs: Any) -> None:
    if event == _COMPILE_EVENT:
        _compilations[0] += 1


jax.monitoring.register_event_duration_secs_listener(_on_event)


class ConformanceError(AssertionError):
    """A conformance property does not hold."""


@contextlib.contextmanager
def count_compilations() -> Iterator[list[int]]:
    """Count XLA compilations inside the block: ``with count_compilations() as n: ...; n[0]``."""
    start = _compilations[0]
    box = [0]
    try:
        yield box
    finally:
        box[0] = _compilations[0] - start


def _block(tree: Any) -> Any:
    return jax.block_until_ready(tree)


def _check_finite(out: Any, name: str) -> None:
    for leaf in jax.tree.leaves(out):
        array = np.asarray(leaf) if not _is_key(leaf) else None
        if array is not None and np.issubdtype(array.dtype, np.inexact):
            if not np.isfinite(array).all():
                raise ConformanceError(f"{name}: output contains NaN or inf")


def _is_key(leaf: Any) -> bool:
    dtype = getattr(leaf, "dtype", None)
    return dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key)


def _no_new_compilations(fn: Callable, args: tuple, what: str) -> None:
    with count_compilations() as compiled:
        _block(fn(*args))
    if compiled[0]:
        raise ConformanceError(
            f"{what}: a second call with same-shaped inputs compiled {compiled[0]} new "
            "program(s); the function retraces or re-jits on every call"
        )


def check_conformance(
    fn: Callable[..., Any],
    *args: Any,
    key: jax.Array | None = None,
    keyed: bool = True,
    n_keys: int = 3,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    check_finite: bool = True,
) -> None:
    """Check the conformance properties (module docstring) of ``fn`` on ``args``.

    Args:
        fn: ``fn(key, *args)`` when ``keyed``, else ``fn(*args)``; returns a pytree of arrays.
        *args: example inputs (arrays or pytrees of arrays; non-array configuration belongs in
            a closure, not here).
        key: the key for keyed functions (a typed key).
        keyed: whether ``fn`` takes a key first.
        n_keys: how many keys the vmap-vs-loop check uses.
        rtol, atol: tolerance of jit-vs-eager and vmap-vs-loop agreement (XLA may fuse
            differently under jit, so bitwise equality is not required there).
        check_finite: check that outputs are finite.
    """
    if keyed and key is None:
        raise ValueError("check_conformance(keyed=True) needs key=")
    name = getattr(fn, "__name__", repr(fn))
    lead = (key,) if keyed else ()
    jitted = jax.jit(fn)

    eager_out = _block(fn(*lead, *args))
    jit_out = _block(jitted(*lead, *args))
    if not tree_allclose(eager_out, jit_out, rtol=rtol, atol=atol):
        raise ConformanceError(f"{name}: jit and eager outputs differ")
    if check_finite:
        _check_finite(jit_out, name)

    other = (jax.random.fold_in(key, 1),) if keyed else ()
    _block(other)
    _no_new_compilations(jitted, (*other, *args), f"{name} (jitted)")
    _no_new_compilations(fn, (*other, *args), f"{name} (eager)")

    if not keyed:
        return
    if not tree_equal(jit_out, _block(jitted(key, *args))):
        raise ConformanceError(f"{name}: the same key gave different outputs")
    if tree_equal(jit_out, _block(jitted(other[0], *args))):
        raise ConformanceError(f"{name}: different keys gave identical outputs; is the key used?")

    keys = jax.random.split(key, n_keys)
    batched = _block(jax.vmap(lambda k: fn(k, *args))(keys))
    looped = [_block(jitted(keys[i], *args)) for i in range(n_keys)]
    stacked = jax.tree.map(lambda *xs: jnp.stack(xs), *looped)
    if not tree_allclose(batched, stacked, rtol=rtol, atol=atol):
        raise ConformanceError(f"{name}: vmap over keys differs from a Python loop")


def check_abstract_init(init: Callable[..., Any], *args: Any) -> Any:
    """``init`` must accept ``jax.ShapeDtypeStruct`` inputs (for ``eval_shape`` and sharding).

    Returns the abstract state so the caller can check its shapes.
    """
    abstract_args = jax.tree.map(lambda x: jax.ShapeDtypeStruct(jnp.shape(x), _dtype(x)), args)
    try:
        return jax.eval_shape(init, *abstract_args)
    except Exception as error:  # report which property broke, keep the cause
        raise ConformanceError(f"init does not accept ShapeDtypeStruct inputs: {error}") from error


def check_state_stability(step: Callable[..., Any], state: Any, *args: Any) -> None:
    """A step must return a state of the same structure, shapes, dtypes and shardings.

    ``step(state, *args)`` returns ``(state, info)`` or a state.
    """
    out = jax.jit(step)(state, *args)
    new_state = out[0] if isinstance(out, tuple) and len(out) == 2 else out
    if jax.tree.structure(new_state) != jax.tree.structure(state):
        raise ConformanceError("step changed the structure of the state")
    for before, after in zip(jax.tree.leaves(state), jax.tree.leaves(new_state), strict=True):
        if jnp.shape(before) != jnp.shape(after) or _dtype(before) != _dtype(after):
            raise ConformanceError(
                f"step changed a state leaf from {jnp.shape(before)} {_dtype(before)} "
                f"to {jnp.shape(after)} {_dtype(after)}"
            )
        sharding = getattr(before, "sharding", None)
        if sharding is not None and not after.sharding.is_equivalent_to(sharding, after.ndim):
            raise ConformanceError(f"step changed a state leaf's sharding from {sharding}")


def _dtype(x: Any) -> Any:
    return x.dtype if hasattr(x, "dtype") else jnp.asarray(x).dtype
