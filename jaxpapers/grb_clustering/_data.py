"""The BATSE catalogue: reading it, the log features, standardisation and synthetic designs.

BATSE (the Burst And Transient Source Experiment on NASA's Compton Gamma-Ray Observatory,
1991–2000) measured, for every burst, the durations T50 and T90 (s), the fluences F1–F4 in four
energy channels (erg cm⁻²) and the peak fluxes P64, P256, P1024 on three time scales
(photons cm⁻² s⁻¹). The clustering literature uses the bursts with all nine values present and
positive: 1598 of the 2702 triggers (spec §2). Features are logarithms: the nine variables
("9var"), or log10 T90, log10 of the total fluence F1+F2+F3+F4 and log10 of the hardness ratio
H321 = F3/(F1+F2) ("3var").
"""

from __future__ import annotations

import csv
import functools
import math
import os
from importlib import resources
from pathlib import Path

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, Int

from jaxpapers import _validate, linalg
from jaxpapers._typing import PRNGKey
from jaxpapers.grb_clustering._types import Batse

__all__ = [
    "BATSE_LIKE",
    "NINE",
    "load_batse",
    "log_features",
    "packaged_table",
    "read_catalogue",
    "simulate",
    "standardise",
]

NINE = (
    "t50", "t90", "fluence_1", "fluence_2", "fluence_3", "fluence_4",
    "flux_64", "flux_256", "flux_1024",
)  # fmt: skip
"""The nine BATSE variables, as the catalogue CSV names them (T50, T90, F1–F4, P64–P1024)."""

TRIGGER = "trigger_num"
VARIABLES = ("3var", "9var")
COLUMNS = {
    "3var": ("log10_T90", "log10_fluence", "log10_H321"),
    "9var": tuple(
        f"log10_{c}" for c in ("T50", "T90", "F1", "F2", "F3", "F4", "P64", "P256", "P1024")
    ),
}
TABLE = "batse_1598.csv"

BATSE_LIKE = {
    "weights": (0.7055, 0.2945),
    "means": ((1.5085, -5.1930, 0.1649), (-0.1765, -6.1674, 0.5464)),
    "covariances": (
        ((0.2185, 0.1191, 0.0208), (0.1191, 0.3802, 0.0691), (0.0208, 0.0691, 0.0799)),
        ((0.3179, 0.1069, -0.0196), (0.1069, 0.2910, 0.0350), (-0.0196, 0.0350, 0.0549)),
    ),
}
"""The BATSE-like design (spec §5.2): a 2-component Gaussian mixture fitted to BATSE 3-var
(log10 T90, log10 total fluence, log10 H321); component 0 "long", component 1 "short"."""


def packaged_table() -> Path:
    """Path of the table of the 1598 complete bursts that ships inside the package."""
    return Path(str(resources.files("jaxpapers.grb_clustering") / "data" / TABLE))


def _number(token: str) -> float:
    try:
        return float(token)
    except ValueError:
        return math.nan  # an empty cell is a missing value


def read_catalogue(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Trigger numbers and the nine raw variables of every row of a catalogue CSV.

    Reads any CSV with a header naming ``trigger_num`` and the nine columns of :data:`NINE`
    (the 47-column HEASARC table of ``allgrbs.csv``, or the packaged table). Missing or
    unparseable cells become NaN.

    Returns:
        ``(trigger (m,), raw (m, 9))`` for all m rows, in file order.
    """
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in (TRIGGER, *NINE) if c not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(
                f"path must be a BATSE catalogue CSV with columns {TRIGGER} and {', '.join(NINE)}"
                f", got {path} lacking {', '.join(missing)}"
            )
        rows = [(int(row[TRIGGER]), [_number(row[c]) for c in NINE]) for row in reader]
    trigger = np.array([r[0] for r in rows], dtype=np.int64)
    raw = np.array([r[1] for r in rows], dtype=np.float64).reshape(-1, len(NINE))
    return trigger, raw


def log_features(raw: Float[ArrayLike, "n 9"], variables: str = "3var") -> Float[np.ndarray, "n d"]:
    """The log10 features of raw BATSE values (columns in the order of :data:`NINE`).

    ``"3var"``: (log10 T90, log10 (F1+F2+F3+F4), log10 (F3/(F1+F2))); ``"9var"``: log10 of all
    nine. Every value must be finite and > 0 (a logarithm is taken of it).

    >>> raw = np.array([[0.1, 0.24, 7.8e-9, 2.3e-8, 1.0e-7, 8.4e-8, 2.41, 1.80, 0.58]])
    >>> log_features(raw).round(3).tolist()
    [[-0.62, -6.668, 0.511]]
    """
    _validate.check_choice("variables", variables, VARIABLES)
    raw = np.asarray(raw, dtype=np.float64)
    _validate.check_ndim("raw", raw, 2)
    if raw.shape[1] != len(NINE):
        raise ValueError(f"raw must have {len(NINE)} columns ({', '.join(NINE)}), got {raw.shape}")
    _validate.check_positive("raw", raw)
    if variables == "9var":
        return np.log10(raw)
    t90, fluence = raw[:, 1], raw[:, 2:6]
    hardness = fluence[:, 2] / (fluence[:, 0] + fluence[:, 1])
    return np.log10(np.stack([t90, fluence.sum(axis=1), hardness], axis=1))


def load_batse(path: str | os.PathLike | None = None, variables: str = "3var") -> Batse:
    """The BATSE bursts with all nine variables present and positive, as log10 features.

    Without ``path``, reads the table of the 1598 complete bursts that ships inside the package
    (written from the HEASARC catalogue by ``scripts/make_batse_table.py``; see
    ``grb_clustering/data/README.md``). With ``path``, reads a full catalogue CSV in the format
    of ``allgrbs.csv`` (2702 rows, 47 columns) and drops the rows that lack a variable (731) or
    hold a value ≤ 0 (373, mostly a zero fluence channel), counting them in ``counts``.

    Args:
        path: a catalogue CSV; ``None`` for the packaged table. The environment variable
            ``JAXPAPERS_BATSE`` is read by the reproduction, not here.
        variables: ``"3var"`` (log10 T90, fluence, hardness H321) or ``"9var"``.

    Returns:
        :class:`Batse` with ``X`` (n, 3 or 9) log10 values, not standardised.

    >>> data = load_batse()
    >>> data.X.shape, data.columns, data.counts["kept"]
    ((1598, 3), ('log10_T90', 'log10_fluence', 'log10_H321'), 1598)
    """
    _validate.check_choice("variables", variables, VARIABLES)
    source = packaged_table() if path is None else Path(path)
    if not source.is_file():
        raise FileNotFoundError(f"path must be an existing BATSE catalogue CSV, got {source}")
    trigger, raw = read_catalogue(source)
    incomplete = np.isnan(raw).any(axis=1)
    non_positive = ~incomplete & (raw <= 0).any(axis=1)
    keep = ~incomplete & ~non_positive
    if not keep.any():
        raise ValueError(
            f"path must hold at least one complete, positive burst, got none in {path}"
        )
    counts = {
        "rows": int(raw.shape[0]),
        "incomplete": int(incomplete.sum()),
        "non_positive": int(non_positive.sum()),
        "kept": int(keep.sum()),
    }
    X = log_features(raw[keep], variables)
    return Batse(X, trigger[keep], COLUMNS[variables], counts)


def standardise(X: Float[ArrayLike, "n d"]) -> Float[Array, "n d"]:
    """Centre each column and scale it to unit standard deviation (ddof = 0).

        x̃_ij = (x_ij − mean_j) / sd_j

    Distances, and so every test of this module, depend on the scale of each column; the spec
    standardises the log features before clustering (§1).

    >>> standardise(jnp.array([[1.0, 10.0], [3.0, 30.0]])).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    """
    _validate.check_ndim("X", X, 2, "a 2-D array (n points, d features)")
    _validate.check_finite("X", X)
    X = jnp.asarray(X)
    X = X if jnp.issubdtype(X.dtype, jnp.floating) else X.astype(jnp.result_type(float))
    sd = jnp.std(X, axis=0)
    concrete = _validate.as_concrete("X", sd)
    if concrete is not None and (concrete <= 0).any():
        raise ValueError(f"X must have columns with non-zero spread, got sd {concrete.tolist()}")
    return (X - jnp.mean(X, axis=0)[None, :]) / sd[None, :]


def simulate(
    key: PRNGKey, n: int, design: str = "batse_like"
) -> tuple[Float[Array, "n 3"], Int[Array, " n"]]:
    """Synthetic data of the spec's designs (§5.2) and the planted component of each point.

    * ``"unimodal"`` (N1): x ~ N(0, I₃); one component, no groups.
    * ``"two_clusters"`` (T2): ⌊n/4⌋ points from N((3.5, 0, 0), I₃), the rest from N(0, I₃).
    * ``"batse_like"``: the 2-component Gaussian mixture of :data:`BATSE_LIKE` (log10 units,
      not standardised): weights (0.7055, 0.2945), component 1 the short/hard bursts.

    >>> X, component = simulate(jax.random.key(0), 8, "two_clusters")
    >>> X.shape, component.tolist()
    ((8, 3), [1, 1, 0, 0, 0, 0, 0, 0])
    """
    n = _validate.check_integer("n", n, minimum=2)
    _validate.check_choice("design", design, ("unimodal", "two_clusters", "batse_like"))
    return _simulate(key, n, design)


@functools.partial(jax.jit, static_argnums=(1, 2))
def _simulate(key, n, design):
    key_c, key_z = jax.random.split(key)
    z = jax.random.normal(key_z, (n, 3))
    if design == "unimodal":
        return z, jnp.zeros(n, jnp.int32)
    if design == "two_clusters":
        component = (jnp.arange(n) < n // 4).astype(jnp.int32)
        shift = jnp.array([3.5, 0.0, 0.0])
        return z + component.astype(z.dtype)[:, None] * shift[None, :], component
    p = BATSE_LIKE
    component = jax.random.categorical(key_c, jnp.log(jnp.array(p["weights"])), shape=(n,))
    means = jnp.array(p["means"], z.dtype)[component]
    factors = jax.vmap(linalg.cholesky)(jnp.array(p["covariances"], z.dtype))[component]
    return means + jnp.einsum("nij,nj->ni", factors, z), component.astype(jnp.int32)
