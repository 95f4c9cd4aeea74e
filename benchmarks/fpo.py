"""Benchmark: FPO's neural-network environment and the steering gradient's cost.

1. The authors' neural-network environment (spec §2.3), 10 seeds x 3 modes (standard RLHF,
   relaxed and practical FPO) x 4000 rounds of 15 policy steps and one reward-model step.
   Ours: :func:`jaxpapers.fpo.simulate_seeds` (``lax.scan`` over rounds, ``vmap`` over seeds,
   one ``jit`` per mode). Peer: the authors' torch loop as they wrote it (one seed, one mode at
   a time; Python loops over rounds and inner steps; autograd with ``create_graph`` for the
   penalty), re-created here for the timing only (``torch_run`` below is our own code). The
   torch loop would take tens of minutes at full size, so it is timed on ``--peer-rounds``
   rounds of one seed per mode and scaled linearly to 10 seeds x 4000 rounds (its cost per
   round is constant: the buffer is capped at 50 samples); the scale factor is recorded.
2. The steering gradient ``−∇²_θφ L (H + λI)⁻¹ ∇_φ J`` for an MLP reward model of growing size
   (up to ~1M parameters): CG iterations to tolerance, time per call, time per Hessian-vector
   product; against the dense Cholesky solver where the Hessian fits (p ≤ 4096). φ is first
   fitted to the follower's optimum (optax Adam, ``--fit-steps``): at the random initialisation
   the MSE Hessian is indefinite (smallest eigenvalue ≈ −2 at width 16), CG stops at its first
   step with ``status = not_positive_definite`` and the timing would mean nothing. The solve's
   status is recorded with each row.

    python -m benchmarks.fpo                 # writes benchmarks/results/fpo.{json,md}
"""

import argparse
import os
import statistics
import time

import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree

from benchmarks.runner import RESULTS, Case, compile_seconds, time_callable, write_results
from jaxpapers import fpo

SEEDS, ROUNDS = 10, 4000
MODES = (("myopic", 0.0), ("relaxed", 0.005), ("practical", 0.005))


# ----- 1. the neural-network environment -------------------------------------------------------


def ours_callable(env):
    keys = jax.random.split(jax.random.key(0), SEEDS)
    configs = [fpo.Config(mode, gamma) for mode, gamma in MODES]

    def run():
        return [fpo.simulate_seeds(keys, config, env).utility for config in configs]

    return run


def torch_run(seed: int, mode: str, rounds: int, horizon: int = ROUNDS) -> float:
    """One run of the environment in torch, written after the spec's description (§2.3)."""
    import torch

    torch.manual_seed(seed)
    d = 10
    ideal = torch.zeros(d)
    ideal[:2] = 2.5
    layers = [torch.nn.Linear(10, 32), torch.nn.Linear(32, 32), torch.nn.Linear(32, 1)]
    with torch.no_grad():
        for layer in layers:
            layer.weight.normal_(0.0, 0.1)
            layer.bias.zero_()
    params = [p for layer in layers for p in layer.parameters()]

    def reward(y):
        h = torch.nn.functional.softplus(layers[0](y))
        h = torch.nn.functional.softplus(layers[1](h))
        return layers[2](h).squeeze(-1)

    def utility(y):
        return 10.0 * torch.exp(-0.2 * torch.sum((y - ideal) ** 2, dim=-1))

    optimizer = torch.optim.Adam(params, lr=1e-3, weight_decay=1e-3)
    theta = torch.zeros(d, requires_grad=True)
    buffer_y, buffer_u, history = [], [], []
    for t in range(rounds):
        decay = 1.0 - (t / horizon) ** 4
        sigma, lr = 0.001 + 0.099 * decay, 0.001 + 0.049 * decay
        for _ in range(15):
            y = theta + sigma * torch.randn(d)
            r = reward(y)
            penalty = 0.0
            if mode != "myopic":
                grads = torch.autograd.grad(r, params, create_graph=True)
                norm = sum(torch.sum(g**2) for g in grads)
                error = r - utility(y).detach() if mode == "relaxed" else 1.0
                penalty = 0.005 * error * norm
            objective = r - 0.01 * torch.sum(y**2) - penalty
            grad = torch.autograd.grad(-objective, theta)[0].clamp(-1.0, 1.0)
            with torch.no_grad():
                theta -= lr * grad
        with torch.no_grad():
            history.append(float(utility(theta)))
            new = theta + sigma * torch.randn(5, d)
            buffer_y = (buffer_y + list(new))[-50:]
            buffer_u = (buffer_u + list(utility(new)))[-50:]
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(reward(torch.stack(buffer_y)), torch.stack(buffer_u))
        loss.backward()
        optimizer.step()
    return history[-1]


def environment_case(args) -> Case:
    import torch

    torch.set_num_threads(1)  # tiny tensors: one thread is torch's fastest setting here
    env = fpo.NeuralEnv()
    ours = ours_callable(env)
    start = time.perf_counter()
    jax.block_until_ready(ours())
    first_s = time.perf_counter() - start
    ours_s = statistics.median(time_callable(ours, repeats=args.repeats, warmup=0))
    peer_s = {}
    for mode, _ in MODES:
        times = time_callable(lambda m=mode: torch_run(0, m, args.peer_rounds), repeats=1, warmup=0)
        peer_s[mode] = times[0]
    factor = SEEDS * ROUNDS / args.peer_rounds
    peer_total = factor * sum(peer_s.values())
    measured = ", ".join(f"{m} {s:.3g} s" for m, s in peer_s.items())
    return Case(
        "neural_env",
        f"NN environment, {SEEDS} seeds x 3 modes x {ROUNDS} rounds (15 policy steps + 1 RM "
        "step each), float32",
        ours_s,
        {"torch loop (authors' structure, 1 thread)": peer_total},
        args.repeats,
        max(first_s - ours_s, 0.0),
        {
            "peer_timing": f"measured {measured} for 1 seed x {args.peer_rounds} rounds each, "
            f"x{factor:g}",
            "load_average": ", ".join(f"{x:.1f}" for x in os.getloadavg()),
        },
    )


# ----- 2. the steering gradient vs the reward model's size ------------------------------------


def mlp_problem(width: int, samples: int = 256, damping: float = 1e-2):
    """A Softplus MLP reward model 10 → width → width → 1 and the environment's objectives.

    Follower: mean squared error of r on ``samples`` policy samples ``y = θ + ε`` against U
    plus ``damping/2 ||φ||²``; leader: the mean reward of the same samples.
    """
    env = fpo.NeuralEnv(hidden=width)
    from jaxpapers.fpo._neural import init_reward_model

    phi = init_reward_model(jax.random.key(1), env)
    noise = jax.random.normal(jax.random.key(2), (samples, env.dim))

    def leader(theta, phi):
        return jnp.mean(jax.vmap(fpo.mlp_reward, in_axes=(None, 0))(phi, theta + noise))

    def follower(theta, phi):
        y = theta + noise
        error = jax.vmap(fpo.mlp_reward, in_axes=(None, 0))(phi, y) - jax.vmap(env.utility)(y)
        squares = sum(jnp.sum(leaf**2) for leaf in jax.tree.leaves(phi))
        return jnp.mean(error**2) + 0.5 * damping * squares

    size = sum(leaf.size for leaf in jax.tree.leaves(phi))
    return leader, follower, jnp.full(env.dim, 0.5), phi, size


def fit_follower(follower, theta, phi, steps: int, learning_rate: float = 1e-2):
    """φ near ``argmin_φ L(θ, φ)`` by ``steps`` Adam steps (one jitted ``lax.scan``), and the
    final gradient norm ``||∇_φ L||``."""
    flat, unravel = ravel_pytree(phi)
    loss = jax.value_and_grad(lambda f: follower(theta, unravel(f)))
    optimizer = optax.adam(learning_rate)

    def body(carry, _):
        f, state = carry
        _, grad = loss(f)
        updates, state = optimizer.update(grad, state, f)
        return (optax.apply_updates(f, updates), state), None

    @jax.jit
    def run(f):
        (f, _), _ = jax.lax.scan(body, (f, optimizer.init(f)), length=steps)
        return f, jnp.linalg.norm(loss(f)[1])

    flat, grad_norm = run(flat)
    return unravel(flat), float(grad_norm)


def steering_cases(args) -> list[dict]:
    rows = []
    for width in args.widths:
        leader, follower, theta, phi, size = mlp_problem(width)
        phi, grad_norm = fit_follower(follower, theta, phi, args.fit_steps)

        def run(solver, leader=leader, follower=follower):
            return jax.jit(
                lambda th, ph: fpo.steering_gradient_with_info(
                    leader,
                    follower,
                    th,
                    ph,
                    solver=solver,
                    damping=args.damping,
                    tol=args.tol,
                    maxiter=args.maxiter,
                )
            )

        def timed(fn, theta=theta, phi=phi):
            return statistics.median(time_callable(lambda: fn(theta, phi), repeats=args.repeats))

        cg_fn = run("cg")
        compile_s = compile_seconds(cg_fn, theta, phi)
        _, info = cg_fn(theta, phi)
        cg_s = timed(cg_fn)
        row = {
            "params": size,
            "cg_iterations": int(info.num_steps),
            "converged": bool(info.converged),
            "status": fpo.STATUS[int(info.status)],
            "fit_grad_norm": grad_norm,
            "residual": float(info.residual),
            "cg_s": cg_s,
            "per_hvp_ms": 1e3 * cg_s / max(int(info.num_steps), 1),
            "compile_s": compile_s,
            "dense_s": None,
        }
        if size <= 4096:
            dense_fn = run("dense")
            jax.block_until_ready(dense_fn(theta, phi))
            row["dense_s"] = timed(dense_fn)
        print(row, flush=True)
        rows.append(row)
    return rows


def append_scaling_table(rows: list[dict], args) -> None:
    lines = [
        "",
        "## Steering gradient vs reward-model size",
        "",
        f"MLP 10 → w → w → 1 (Softplus), follower = MSE on 256 samples + 1e-2/2 ||φ||², φ "
        f"fitted by {args.fit_steps} Adam steps, solver damping {args.damping:g}, CG "
        f"tol {args.tol:g} (relative), maxiter {args.maxiter}, float32, median of "
        f"{args.repeats}. Load average at the end: "
        + ", ".join(f"{x:.1f}" for x in os.getloadavg())
        + ".",
        "",
        "| parameters | ‖∇_φ L‖ after the fit | CG iterations | status | rel. residual | CG time "
        "| per HVP | dense Cholesky |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        dense = "—" if r["dense_s"] is None else f"{r['dense_s'] * 1e3:.3g} ms"
        lines.append(
            f"| {r['params']:,} | {r['fit_grad_norm']:.2g} | {r['cg_iterations']} | "
            f"{r['status']} | {r['residual']:.2g} | {r['cg_s'] * 1e3:.3g} ms | "
            f"{r['per_hvp_ms']:.3g} ms | {dense} |"
        )
    with open(RESULTS / "fpo.md", "a") as out:
        out.write("\n".join(lines) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-rounds", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--widths", type=int, nargs="+", default=[16, 32, 64, 181, 512, 1000])
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--maxiter", type=int, default=500)
    parser.add_argument("--fit-steps", type=int, default=2000)
    parser.add_argument("--damping", type=float, default=0.0)
    args = parser.parse_args(argv)
    case = environment_case(args)
    for peer, ratio in case.ratios.items():
        print(f"NN environment: ours {case.ours_s:.3g} s; speed-up vs {peer}: {ratio:.3g}x")
    rows = steering_cases(args)
    write_results("fpo", [case])
    append_scaling_table(rows, args)
    path = RESULTS / "fpo.json"
    import json

    data = json.loads(path.read_text())
    data["steering_scaling"] = rows
    path.write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    main()
