"""Discrete Bayesian networks: our BIF parser, the HAILFINDER file, ancestral sampling, MNAR.

HAILFINDER (Abramson et al. 1996; 56 variables, 66 edges) ships inside the ``pgmpy`` wheel as
``pgmpy/utils/example_models/hailfinder.bif.gz`` (``pip install "pgmpy<1.3"``). We only read
that file; pgmpy itself is never imported.
"""

from __future__ import annotations

import gzip
import importlib.util
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from jaxpapers._typing import PRNGKey

__all__ = ["BayesNet", "hailfinder_path", "load_bif", "mnar_first_state", "sample_bayes_net"]

HAILFINDER_FILE = ("utils", "example_models", "hailfinder.bif.gz")


class BayesNet(NamedTuple):
    """A discrete Bayesian network in topological order.

    Attributes:
        names: variable names, topologically ordered (parents before children).
        states: state names of each variable.
        parents: parent indices (into ``names``) of each variable.
        cpts: per variable, an array ``(card(parent_1), ..., card(parent_k), card(child))`` of
            conditional probabilities.
    """

    names: tuple[str, ...]
    states: tuple[tuple[str, ...], ...]
    parents: tuple[tuple[int, ...], ...]
    cpts: tuple[np.ndarray, ...]

    @property
    def cardinalities(self) -> tuple[int, ...]:
        return tuple(len(s) for s in self.states)

    def adjacency(self) -> np.ndarray:
        """``(p, p)`` 0/1 matrix with ``[i, j] = 1`` for every edge i → j."""
        p = len(self.names)
        dag = np.zeros((p, p), np.int64)
        for child, parents in enumerate(self.parents):
            dag[list(parents), child] = 1
        return dag


def hailfinder_path() -> Path:
    """Path of ``hailfinder.bif.gz`` inside the installed pgmpy wheel (pgmpy is not imported).

    Raises:
        FileNotFoundError: pgmpy is not installed, or its wheel lacks the file.
    """
    spec = importlib.util.find_spec("pgmpy")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        path = Path(location).joinpath(*HAILFINDER_FILE)
        if path.is_file():
            return path
    raise FileNotFoundError(
        "hailfinder.bif.gz not found: install the pgmpy wheel that ships it, "
        '`pip install "pgmpy<1.3"` (only the file is read), or pass a path to load_bif'
    )


_VARIABLE = re.compile(r"variable\s+(\S+)\s*\{[^}]*?\{([^}]*)\}", re.S)
_PROBABILITY = re.compile(r"probability\s*\(\s*([^|)]+?)\s*(?:\|\s*([^)]*))?\)\s*\{([^}]*)\}", re.S)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _parse_table(body, child_states, parent_states):
    shape = tuple(len(s) for s in parent_states) + (len(child_states),)
    table = np.full(shape, np.nan)
    for line in body.split(";"):
        line = line.strip()
        if not line:
            continue
        if line.startswith("table"):
            values = [float(v) for v in _NUMBER.findall(line[len("table") :])]
            if parent_states:
                raise ValueError("conditional 'table' entries are not supported; use rows")
            table[...] = np.asarray(values).reshape(shape)
            continue
        match = re.match(r"\(([^)]*)\)(.*)", line, re.S)
        if match is None:
            raise ValueError(f"cannot parse CPT line {line!r}")
        labels = [s.strip() for s in match.group(1).split(",")]
        index = tuple(
            states.index(label) for states, label in zip(parent_states, labels, strict=True)
        )
        table[index] = [float(v) for v in _NUMBER.findall(match.group(2))]
    if np.isnan(table).any():
        raise ValueError("a CPT has rows that the file does not define")
    return table


def load_bif(path: str | Path) -> BayesNet:
    """Parse a (possibly gzipped) BIF file into a topologically ordered :class:`BayesNet`."""
    path = Path(path)
    raw = path.read_bytes()
    text = (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8")
    states = {
        name: tuple(s.strip() for s in body.split(",")) for name, body in _VARIABLE.findall(text)
    }
    cpts, parents = {}, {}
    for child, parent_text, body in _PROBABILITY.findall(text):
        names = tuple(s.strip() for s in parent_text.split(",")) if parent_text.strip() else ()
        parents[child] = names
        cpts[child] = _parse_table(body, states[child], [states[q] for q in names])
    if set(cpts) != set(states):
        raise ValueError(f"{path}: variables without a CPT: {sorted(set(states) - set(cpts))}")
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(states):  # Kahn's algorithm, stable in file order
        ready = [v for v in states if v not in placed and set(parents[v]) <= placed]
        if not ready:
            raise ValueError(f"{path}: the network has a directed cycle")
        order.extend(ready)
        placed.update(ready)
    position = {name: i for i, name in enumerate(order)}
    return BayesNet(
        names=tuple(order),
        states=tuple(states[v] for v in order),
        parents=tuple(tuple(position[q] for q in parents[v]) for v in order),
        cpts=tuple(cpts[v] for v in order),
    )


def sample_bayes_net(key: PRNGKey, network: BayesNet, n: int) -> Float[Array, "n p"]:
    """Ancestral sampling of ``n`` rows; column j holds the state code of variable j (as float).

    Parents come before children, so one pass over the variables suffices; each variable is
    drawn for all rows at once from the CPT row selected by its parents' codes.
    """
    keys = jax.random.split(key, len(network.names))
    columns: list[Array] = []
    for j, (parents, cpt) in enumerate(zip(network.parents, network.cpts, strict=True)):
        table = jnp.asarray(cpt, jnp.float32)
        rows = table[tuple(columns[q] for q in parents)] if parents else table[None, :]
        logits = jnp.log(jnp.broadcast_to(rows, (n, table.shape[-1])))
        columns.append(jax.random.categorical(keys[j], logits, axis=1).astype(jnp.int32))
    return jnp.stack(columns, axis=1).astype(jnp.float32)


def mnar_first_state(
    key: PRNGKey,
    codes: Float[Array, "n p"],
    *,
    n_nodes: int = 20,
    first_state_rate: float = 0.5,
    other_rate: float = 0.1,
) -> Float[Array, "n p"]:
    """C-hailfinder MNAR: for ``n_nodes`` random variables, a cell is missing with probability
    ``first_state_rate`` when it holds the variable's first state and ``other_rate`` otherwise."""
    n, p = codes.shape
    key_nodes, key_cells = jax.random.split(key)
    chosen = jax.random.permutation(key_nodes, p)[:n_nodes]
    masked = jnp.zeros(p, bool).at[chosen].set(True)
    rate = jnp.where(codes == 0, first_state_rate, other_rate)
    missing = (jax.random.uniform(key_cells, (n, p)) < rate) & masked[None, :]
    return jnp.where(missing, jnp.nan, codes)
