"""Benchmark: Adam tracking a drifting quadratic, 1000 seeds x 20 000 steps x d = 10.

Ours: :func:`jaxpapers.adam_sgd_tracking.simulate` (``lax.scan`` over time, ``vmap`` over seeds,
one ``jit``; the optimiser inside is ``optax.adam`` itself, so the comparison is about the
program around it). Peers, each doing the same work per step (draw the gradient noise, one Adam
update, move the target by a random-walk step):

* ``optax (batched, jitted step, Python loop over steps)``: a jitted step for all 1000 seeds at
  once, called from a Python loop — the usual optax training-loop pattern;
* ``optax (one seed at a time)``: the same jitted step for a single seed, looped over steps and
  seeds;
* ``torch.optim.Adam (batched tensor, Python loop over steps)``: one (1000, 10) parameter tensor;
* ``torch.optim.Adam (one seed at a time)``: one optimiser per seed.

The Python-loop peers would take minutes to hours at full size, so each is timed on a subset
(``peer_steps`` steps; one seed for the per-seed peers) and its time is scaled linearly to
1000 seeds x 20 000 steps (their cost per step is constant: no state grows). The scale factor
and the measured time are recorded next to every ratio.

    python -m benchmarks.adam_sgd_tracking          # writes benchmarks/results/adam_sgd_tracking.*
"""

import argparse
import os
import statistics
import time

import numpy as np

import jax
import jax.numpy as jnp
import optax

import jaxpapers.adam_sgd_tracking as ast
from benchmarks.runner import Case, time_callable, write_results

SEEDS, STEPS, DIM = 1000, 20_000, 10
ALPHA, DELTA = 0.01, 0.3
SIGMA = np.logspace(-1, 1, DIM)


def ours_callable(seeds: int, steps: int):
    problem = ast.quadratic_tracking(jnp.ones(DIM), SIGMA, DELTA)
    hyper = ast.Hyperparams(ALPHA)
    key = jax.random.key(0)

    def run():
        return ast.simulate(
            key, problem, "adam", hyper, num_steps=steps, num_seeds=seeds, record_every=1000
        ).floor

    return run


def optax_callable(seeds: int, steps: int):
    optimizer = optax.adam(ALPHA)
    sigma = jnp.asarray(SIGMA, jnp.float32)

    @jax.jit
    def step(params, opt_state, target, key):
        key_noise, key_drift = jax.random.split(key)
        grads = params - target + sigma * jax.random.normal(key_noise, params.shape)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        target = target + DELTA / np.sqrt(DIM) * jax.random.normal(key_drift, target.shape)
        return params, opt_state, target

    def run():
        params = jnp.zeros((seeds, DIM))
        target, opt_state = jnp.zeros((seeds, DIM)), optimizer.init(params)
        key = jax.random.key(1)
        for t in range(steps):
            params, opt_state, target = step(params, opt_state, target, jax.random.fold_in(key, t))
        return params

    return run


def torch_callable(seeds: int, steps: int):
    import torch

    torch.set_num_threads(1)
    sigma = torch.tensor(SIGMA, dtype=torch.float32)

    def run():
        generator = torch.Generator().manual_seed(0)
        params = torch.zeros((seeds, DIM), requires_grad=True)
        target = torch.zeros((seeds, DIM))
        optimizer = torch.optim.Adam([params], lr=ALPHA)
        for _ in range(steps):
            noise = torch.randn((seeds, DIM), generator=generator)
            params.grad = (params.detach() - target) + sigma * noise
            optimizer.step()
            target += DELTA / np.sqrt(DIM) * torch.randn((seeds, DIM), generator=generator)
        return params.detach().numpy()

    return run


def _timed_subset(name, fn, *, seeds, steps, repeats):
    seconds = statistics.median(time_callable(fn, repeats=repeats))
    factor = (SEEDS / seeds) * (STEPS / steps)
    print(f"{name}: {seconds:.3g} s for {seeds} seeds x {steps} steps; x{factor:g}", flush=True)
    return (
        seconds * factor,
        f"measured {seconds:.3g} s on {seeds} seeds x {steps} steps, x{factor:g}",
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args(argv)

    ours = ours_callable(SEEDS, STEPS)
    start = time.perf_counter()
    jax.block_until_ready(ours())  # compiles
    first_call_s = time.perf_counter() - start
    ours_s = statistics.median(time_callable(ours, repeats=args.repeats, warmup=0))
    compile_s = max(first_call_s - ours_s, 0.0)  # first call minus a compiled call
    print(f"ours: {ours_s:.3g} s, {SEEDS * STEPS / ours_s:.3g} optimiser steps/s", flush=True)

    peers, notes = {}, {}
    subsets = [
        ("optax, batched jitted step, Python loop", optax_callable, SEEDS),
        ("optax, one seed at a time", optax_callable, 1),
    ]
    if not args.no_torch:
        subsets += [
            ("torch.optim.Adam, batched tensor, Python loop", torch_callable, SEEDS),
            ("torch.optim.Adam, one seed at a time", torch_callable, 1),
        ]
    for name, make, seeds in subsets:
        peers[name], notes[name] = _timed_subset(
            name,
            make(seeds, args.peer_steps),
            seeds=seeds,
            steps=args.peer_steps,
            repeats=args.repeats,
        )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    cases = [
        Case(
            "adam_tracking",
            f"Adam, hetero-RW quadratic, {SEEDS} seeds x {STEPS} steps x d={DIM}, float32",
            ours_s,
            {peer: seconds},
            args.repeats,
            compile_s,
            {
                "ours_steps_per_s": SEEDS * STEPS / ours_s,
                "peer_timing": notes[peer],
                "load_average": load,
            },
        )
        for peer, seconds in peers.items()
    ]
    for case in cases:
        for peer, ratio in case.ratios.items():
            print(f"speed-up vs {peer}: {ratio:.3g}x")
    write_results("adam_sgd_tracking", cases)


if __name__ == "__main__":
    main()
