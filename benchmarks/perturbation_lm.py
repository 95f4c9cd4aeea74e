"""Benchmark: the cost of perturbation in training, and the EDA kernel against a Python loop.

1. Training throughput (tokens/s) with perturbation against plain training of the same model in
   the same process: :func:`jaxpapers.perturbation_lm.fit` with the synonym kernel at rho = 0.3
   (O1, M = 1; the kernel runs on device inside the jitted step) against the same ``fit`` with
   an identity kernel. Two models: spec §2.1's MLP and the tiny :mod:`jaxpapers.nn` Llama.
   The issue's target is an overhead of at most 1.15x (``overhead`` = ours / plain).
2. The EDA kernel (SR + RI + RS + RD at rate 0.1 each, static length with a mask), vmapped over
   a batch of sequences, against a plain-Python EDA loop over lists doing the same four
   operations per token (``nlpaug`` does not install offline here, so it is not a peer).

    python -m benchmarks.perturbation_lm     # writes benchmarks/results/perturbation_lm.*
"""

import argparse
import os
import random
import time

import jax
import jax.numpy as jnp

import jaxpapers.perturbation_lm as pl
from benchmarks.runner import Case, compare, write_results
from jaxpapers.perturbation_lm import _study
from jaxpapers.perturbation_lm._runs import synonym_kernel

V, M, K = 24, 4, 3


def _identity(key, tokens):
    return tokens


def training_case(model: str, steps: int, repeats: int) -> Case:
    scm = pl.make_scm(jax.random.key(0), 6, M, K, 0.3)
    data = _study.scm_data(jax.random.key(1), scm, 10_000, 5000, 1000)
    if model == "mlp":
        params, apply_fn = pl.init_context_mlp(jax.random.key(2), V, K)
    else:
        params, apply_fn = pl.init_context_llama(jax.random.key(2), pl.context_llama_config(V, K))
    config = pl.Config(num_steps=steps, eval_every=steps)

    def runner(kernel):
        run = jax.jit(lambda p, kern: pl.fit(jax.random.key(3), p, apply_fn, kern, data.train,
                                              data.valid, config).losses)  # fmt: skip
        start = time.perf_counter()
        jax.block_until_ready(run(params, kernel))  # compile
        return (lambda: jax.block_until_ready(run(params, kernel))), time.perf_counter() - start

    ours, compile_s = runner(synonym_kernel(M, 0.3))
    plain, _ = runner(jax.tree_util.Partial(_identity))
    tokens = steps * config.batch_size * K
    case = compare(
        f"training_{model}", f"{model}, {steps} AdamW steps x batch 256 x k = {K}",
        ours, {"plain training (no kernel)": plain}, repeats=repeats, compile_s=compile_s,
    )  # fmt: skip
    case.extra.update(
        overhead=case.ours_s / case.peers_s["plain training (no kernel)"],
        ours_tokens_per_s=tokens / case.ours_s,
        load_average=", ".join(f"{x:.1f}" for x in os.getloadavg()),
    )
    return case


def python_eda(rng: random.Random, tokens: list[int], synonyms: list[list[int]], rate: float):
    """SR, RI, RS, RD per token with probability ``rate`` each, on a Python list."""
    out = [rng.choice(synonyms[t]) if rng.random() < rate else t for t in tokens]
    grown = []
    for t in out:
        grown.append(t)
        if rng.random() < rate:
            grown.append(rng.choice(synonyms[rng.choice(out)]))
    out = grown[-len(tokens) :]
    for i in range(len(out)):
        if rng.random() < rate:
            j = rng.randrange(len(out))
            out[i], out[j] = out[j], out[i]
    kept = [t for t in out if rng.random() >= rate]
    return kept or out[-1:]


def eda_case(batch: int, length: int, repeats: int) -> Case:
    table = pl.class_synonyms(V, M)
    tokens = jax.random.randint(jax.random.key(0), (batch, length), 0, V, jnp.int32)
    mask = jnp.ones((batch, length), bool)
    rates = pl.EDARates(0.1, 0.1, 0.1, 0.1)
    keys = jax.random.split(jax.random.key(1), batch)
    run = jax.jit(jax.vmap(lambda k, t, m: pl.perturb_eda(k, t, m, table, rates)))
    start = time.perf_counter()
    jax.block_until_ready(run(keys, tokens, mask))
    compile_s = time.perf_counter() - start
    rows, synonyms = tokens.tolist(), table.tolist()

    def peer():
        rng = random.Random(0)
        return [python_eda(rng, row, synonyms, 0.1) for row in rows]

    case = compare(
        "eda_kernel", f"SR+RI+RS+RD at 0.1, {batch} sequences x {length} tokens",
        lambda: jax.block_until_ready(run(keys, tokens, mask)), {"plain-Python EDA loop": peer},
        repeats=repeats, compile_s=compile_s,
    )  # fmt: skip
    case.extra.update(
        ours_tokens_per_s=batch * length / case.ours_s,
        load_average=", ".join(f"{x:.1f}" for x in os.getloadavg()),
    )
    return case


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    cases = [
        training_case("mlp", args.steps, args.repeats),
        training_case("llama", args.steps, args.repeats),
        eda_case(1000, 64, args.repeats),
    ]
    write_results("perturbation_lm", cases)


if __name__ == "__main__":
    main()
