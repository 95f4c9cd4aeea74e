"""The benchmark systems of spec §6.1, simulated with diffrax, with additive noise.

Each :class:`System` holds its true right-hand side as SymPy expressions in x0, x1, …; the JAX
vector field integrated by diffrax is lambdified from them, so the data and the truth the
metrics compare against cannot disagree. Noise follows the PySINDy convention of the spec,
x̃ = x + η · std(x) · ε per component, ε ~ N(0, 1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, cast

import diffrax
import sympy

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from jaxpapers._typing import PRNGKey

__all__ = ["SYSTEMS", "System", "Trajectories", "simulate", "symbols"]


def symbols(n: int) -> tuple[sympy.Symbol, ...]:
    """The state symbols x0, …, x{n−1} (real) used by every expression of this module."""
    return tuple(sympy.Symbol(f"x{i}", real=True) for i in range(n))


def _logistic(z):
    return 1 / (1 + sympy.exp(-z))


class System(NamedTuple):
    """A dynamical system ẋ = f(x) and how the spec samples it.

    Attributes:
        name: short name.
        rhs: the true f as SymPy expressions in x0, x1, … (one per state component).
        low: initial conditions are uniform on the box [low, high] (per component).
        high: see ``low``.
        num_trajectories: trajectories simulated from independent initial conditions.
        dt: sampling step and length of each trajectory.
        t_end: see ``dt``.
        operators: the network settings the reproduction uses for this system.
        depth: see ``operators``.
        window: Savitzky–Golay window (samples) for derivative targets in the reproduction.
        fixed_initial: one fixed initial condition instead of random ones (Lorenz).
    """

    name: str
    rhs: tuple[sympy.Expr, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    num_trajectories: int
    dt: float
    t_end: float
    operators: tuple[str, ...] = ()
    depth: int = 1
    window: int = 31
    fixed_initial: tuple[float, ...] | None = None

    @property
    def n(self) -> int:
        return len(self.rhs)

    def vector_field(self) -> Callable:
        """f as a JAX function ``f(t, y, args) -> dy/dt`` (for diffrax)."""
        fns = [sympy.lambdify(symbols(self.n), e, modules="jax") for e in self.rhs]
        return lambda t, y, args: jnp.stack([jnp.asarray(f(*y), y.dtype) for f in fns])


def _systems() -> dict[str, System]:
    x, y = symbols(2)
    x0, x1, x2 = symbols(3)
    f = sympy.Float
    return {
        "lorenz": System(
            "lorenz",
            (f(10) * (x1 - x0), x0 * (f(28) - x2) - x1, x0 * x1 - f(8 / 3) * x2),
            (-8.0, 8.0, 27.0),
            (-8.0, 8.0, 27.0),
            1,
            0.002,
            10.0,
            window=51,
            fixed_initial=(-8.0, 8.0, 27.0),
        ),  # fmt: skip
        "van_der_pol": System(
            "van_der_pol", (y, f(1) * (1 - x**2) * y - x), (-3.0, -3.0), (3.0, 3.0), 5, 0.01, 20.0
        ),
        "lotka_volterra": System(
            "lotka_volterra",
            (f(2 / 3) * x - f(4 / 3) * x * y, f(1) * x * y - f(1) * y),
            (0.5, 0.5),
            (2.0, 2.0),
            5,
            0.01,
            20.0,
        ),  # fmt: skip
        "duffing": System(
            "duffing",
            (y, -f(0.1) * y - f(1) * x - f(5) * x**3),
            (-1.5, -1.5),
            (1.5, 1.5),
            5,
            0.01,
            20.0,
        ),  # fmt: skip
        "michaelis_menten": System(
            "michaelis_menten",
            (f(0.6) - f(1.5) * x / (f(0.3) + x),),
            (0.05,),
            (3.0,),
            20,
            0.01,
            5.0,
            depth=2,
        ),  # fmt: skip
        "kepler": System(
            "kepler", (y, f(1) * x**-3 - f(1) * x**-2), (1.05, 0.0), (3.0, 0.0), 10, 0.01, 20.0
        ),
        "gated": System(
            "gated",
            (-f(0.5) * (x + f(0.5)) - f(2) * y * (x + f(1)), (_logistic(x / f(0.1)) - y) / f(5)),
            (-1.0, 0.0),
            (1.0, 1.0),
            20,
            0.01,
            20.0,
            operators=("logistic",),
        ),  # fmt: skip
        "logistic_growth": System(
            "logistic_growth", (f(1) * x * (1 - x / f(2)),), (0.05,), (3.0,), 10, 0.01, 8.0
        ),
    }


SYSTEMS: dict[str, System] = _systems()
"""S1–S8 of spec §6.1 by name: lorenz, van_der_pol, lotka_volterra, duffing, michaelis_menten,
kepler (radial motion, h = μ = 1, bound orbits from apoapsis r ∈ [1.05, 3]), gated (the
logistic-gated conductance model S7) and logistic_growth."""


class Trajectories(NamedTuple):
    """Simulated trajectories (leading axis: trajectory).

    Attributes:
        times: (K, T) sample times (each trajectory starts at 0).
        states: (K, T, n) observed states (with noise).
        clean: (K, T, n) the exact states.
        derivatives: (K, T, n) the exact f(clean).
    """

    times: Float[Array, "K T"]
    states: Float[Array, "K T n"]
    clean: Float[Array, "K T n"]
    derivatives: Float[Array, "K T n"]


def _initial_conditions(key: PRNGKey, system: System, dtype) -> Float[Array, "K n"]:
    if system.fixed_initial is not None:
        return jnp.asarray(system.fixed_initial, dtype)[None, :]
    low, high = jnp.asarray(system.low, dtype), jnp.asarray(system.high, dtype)
    shape = (system.num_trajectories, system.n)
    return low[None, :] + (high - low)[None, :] * jax.random.uniform(key, shape, dtype)


def integrate(
    system: System, initial: Float[Array, "K n"], times: Float[Array, " T"]
) -> Float[Array, "K T n"]:
    """Solve ẋ = f(x) from each initial condition with Tsit5 (rtol = atol = 1e-10 in float64)."""
    tight = 1e-10 if initial.dtype == jnp.float64 else 1e-6
    term = diffrax.ODETerm(system.vector_field())

    def solve(y0):
        solution = diffrax.diffeqsolve(
            term, diffrax.Tsit5(), times[0], times[-1], system.dt / 4, y0,
            saveat=diffrax.SaveAt(ts=times),
            stepsize_controller=diffrax.PIDController(rtol=tight, atol=tight),
            max_steps=1_000_000,
        )  # fmt: skip
        return solution.ys

    return cast(Array, jax.vmap(solve)(initial))


def simulate(key: PRNGKey, system: System, noise: float, dtype=jnp.float64) -> Trajectories:
    """Trajectories of ``system`` with relative noise ``noise`` (η, fraction of each std).

    Examples:
        >>> import jax
        >>> with jax.enable_x64(True):
        ...     data = simulate(jax.random.key(0), SYSTEMS["logistic_growth"], 0.0)
        >>> data.states.shape, round(float(data.clean[0, -1, 0]), 3)
        ((10, 800, 1), 2.0)
    """
    key_init, key_noise = jax.random.split(key)
    count = round(system.t_end / system.dt)
    times = jnp.arange(count, dtype=dtype) * system.dt
    clean = integrate(system, _initial_conditions(key_init, system, dtype), times)
    field = system.vector_field()
    derivatives = jax.vmap(jax.vmap(lambda y: field(0.0, y, None)))(clean)
    scale = jnp.std(clean.reshape(-1, system.n), axis=0)
    states = clean + noise * scale[None, None, :] * jax.random.normal(key_noise, clean.shape, dtype)
    return Trajectories(jnp.broadcast_to(times, clean.shape[:2]), states, clean, derivatives)
