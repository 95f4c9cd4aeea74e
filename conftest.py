"""Test harness for tests/ and the doctests in jaxpapers/: 8 fake CPU devices, strict dtype
promotion, rank promotion raises, explicit keys.

The device count must be set before the first JAX computation, so it happens at import time.
"""

import os
import zlib

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TQDM_DISABLE", "1")

import pytest  # noqa: E402

import jax  # noqa: E402
import jaxtyping  # noqa: E402

jax.config.update("jax_num_cpu_devices", 8)
jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_numpy_rank_promotion", "raise")

NUM_DEVICES = 8


@pytest.fixture(autouse=True, scope="module")
def _free_compiled_programs():
    """Drop each module's compiled programs when it ends: a worker runs many modules, and the
    executables it would otherwise keep grow to several GB."""
    yield
    jax.clear_caches()


@pytest.fixture
def key(request):
    """A fresh key per test, derived from the test's name so that tests stay independent."""
    seed = zlib.crc32(request.node.nodeid.encode())  # stable across processes, unlike hash()
    return jax.random.key(seed)


@pytest.fixture
def getkey():
    """Call to get a new key; the sequence is the same in every run."""
    base = jax.random.key(1234)
    counter = iter(range(1 << 30))
    return lambda: jax.random.fold_in(base, next(counter))


@pytest.fixture
def enable_x64():
    """Run the test with 64-bit floats switched on."""
    with jax.enable_x64(True):
        yield


@pytest.fixture
def own_validation():
    """Check the errors users see: switch off the test-only jaxtyping hook for this test."""
    jaxtyping.config.update("jaxtyping_disable", True)
    yield
    jaxtyping.config.update("jaxtyping_disable", False)
