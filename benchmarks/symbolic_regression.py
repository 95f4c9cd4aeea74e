"""symbolic_regression vs PySINDy 2.1 (STLSQ, SR3, weak form) and pyoperon (GP): support
recovery, coefficient error, number of terms and wall time, side by side.

Problems (spec §8.3): Lorenz (S1) and Michaelis–Menten (S5) at η = 1 % noise, the same
simulated data and Savitzky–Golay derivatives for every strong-form method (the weak form takes
the noisy states and times). PySINDy uses a polynomial library of degree 2 (Lorenz; the true
terms are in it) or 3 (Michaelis–Menten, which no polynomial library expresses: spec A9's
contrast). pyoperon (population 500, 200 generations, 1 thread) fits each equation separately;
its expression is read into SymPy and compared like ours. PySR cannot run offline (its first
import downloads Julia), so it is not in the table.

Wall time: the whole ``fit`` for ours (training of every restart in one compiled program,
SymPy export, simplification), median over repeats after one untimed call that compiles; each
peer's ``fit``, one thread for numpy (``OMP_NUM_THREADS=1`` is set below before numpy loads).

    python -m benchmarks.symbolic_regression
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import sympy  # noqa: E402

import jax  # noqa: E402

import jaxpapers.symbolic_regression as sr  # noqa: E402
from benchmarks.runner import compare, write_results  # noqa: E402
from jaxpapers.symbolic_regression._reproduce import rows_of  # noqa: E402

jax.config.update("jax_enable_x64", True)

NOISE = 0.01


def _config(name):
    system = sr.SYSTEMS[name]
    return sr.Config(depth=system.depth, operators=system.operators, restarts=4, steps=2000,
                     half_period=200, chunk_size=2000)  # fmt: skip


def _names(n):
    return [str(v) for v in sr.symbols(n)]


def _sindy_expressions(model, n):
    variables = sr.symbols(n)
    names = [str(v) for v in variables]
    assert model.feature_names == names, (model.feature_names, names)
    features = model.get_feature_names()
    terms = [sympy.sympify(f.replace(" ", "*").replace("^", "**"), locals=dict(zip(
        names, variables, strict=True))) for f in features]  # fmt: skip
    return [sum((float(c) * t for c, t in zip(row, terms, strict=True) if c), sympy.Integer(0))
            for row in model.coefficients()]  # fmt: skip


def _sindy(x, dxdt, degree, optimizer):
    import pysindy as ps

    def run():
        model = ps.SINDy(optimizer=optimizer, feature_library=ps.PolynomialLibrary(degree))
        model.fit(x, t=1.0, x_dot=dxdt, feature_names=_names(x.shape[1]))
        return model

    return run


def _weak(states, times, degree):
    import pysindy as ps

    def run():
        library = ps.WeakPDELibrary(ps.PolynomialLibrary(degree), spatiotemporal_grid=times,
                                    K=200, p=4)  # fmt: skip
        model = ps.SINDy(optimizer=ps.STLSQ(threshold=0.5), feature_library=library)
        model.fit(states, t=times, feature_names=_names(states.shape[-1]))
        return model

    return run


def _operon(x, dxdt):
    from pyoperon.sklearn import SymbolicRegressor

    # pyoperon computes in float32: with float64 inputs its Pareto-front statistics mix a
    # float32 prediction with the float64 target and raise a TypeError (seen on Michaelis-Menten)
    x = np.ascontiguousarray(x, np.float32)
    dxdt = np.ascontiguousarray(dxdt, np.float32)

    def run():
        fitted = []
        for i in range(dxdt.shape[1]):
            reg = SymbolicRegressor(population_size=500, generations=200, n_threads=1,
                                    random_state=0)  # fmt: skip
            reg.fit(x, dxdt[:, i])
            fitted.append(reg)
        return fitted

    return run


def _operon_expressions(fitted, n):
    variables = sr.symbols(n)
    names = {f"X{i + 1}": v for i, v in enumerate(variables)}
    return [sympy.sympify(reg.get_model_string(reg.model_, 12), locals=names) for reg in fitted]


def _score(expressions, name):
    comparison = sr.compare(expressions, sr.SYSTEMS[name].rhs)
    return {"support": all(comparison.recovered), "coef_error": round(comparison.error, 5),
            "terms": comparison.num_terms}  # fmt: skip


def _case(name, degree):
    import pysindy as ps

    system = sr.SYSTEMS[name]
    x, dxdt, _ = rows_of(jax.random.key(0), name, NOISE, "derivative")
    data = sr.simulate(jax.random.key(0), system, NOISE)
    config = _config(name)

    def ours():
        return sr.fit(jax.random.key(1), x, dxdt, config=config)

    peers = {
        "pysindy_stlsq": _sindy(x, dxdt, degree, ps.STLSQ(threshold=0.5)),
        "pysindy_sr3": _sindy(x, dxdt, degree, ps.SR3(reg_weight_lam=0.005, relax_coeff_nu=1.0)),
        "pyoperon": _operon(x, dxdt),
    }
    if data.states.shape[0] == 1:  # the weak form of PySINDy 2.1 takes one trajectory here
        states, times = np.asarray(data.states[0]), np.asarray(data.times[0])
        peers["pysindy_weak"] = _weak(states, times, degree)
    quality = {"ours": _score(ours().expressions, name)}
    for peer, run in peers.items():
        model = run()
        found = (_operon_expressions(model, system.n) if peer == "pyoperon"
                 else _sindy_expressions(model, system.n))  # fmt: skip
        quality[peer] = _score(found, name)
    return compare(
        name, f"{name}, η = {NOISE:g}, {x.shape[0]} rows", ours, peers, repeats=2,
        peer_repeats=2, quality=quality, rows=int(x.shape[0]), restarts=config.restarts,
        steps=config.steps,
    )  # fmt: skip


def main():
    cases = [_case("lorenz", 2), _case("michaelis_menten", 3)]
    path = write_results("symbolic_regression", cases)
    print(path.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
