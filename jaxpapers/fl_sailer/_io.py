"""AnnData / h5ad input (optional: ``pip install anndata``), imported lazily."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["read_h5ad"]


def read_h5ad(
    path: str | Path, *, batch_key: str | None = None, label_key: str | None = None
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Read a cells × peaks h5ad file: the binarised matrix and optional obs columns.

    Args:
        path: the ``.h5ad`` file (counts or binary accessibility in ``X``).
        batch_key: ``obs`` column of the batch / institution, returned as integer codes.
        label_key: ``obs`` column of cell labels, returned as integer codes.

    Returns:
        (x as a dense uint8 0/1 matrix, batch codes or None, label codes or None).

    Raises:
        ImportError: when ``anndata`` is not installed.
    """
    try:
        import anndata
    except ImportError as error:  # optional dependency
        raise ImportError("read_h5ad needs anndata: pip install anndata") from error
    data = anndata.read_h5ad(path)
    matrix: Any = data.X
    dense = matrix.toarray() if hasattr(matrix, "toarray") else np.asarray(matrix)
    if (dense < 0).any():
        raise ValueError(f"the counts in {path} must be non-negative, got negative values")
    x = (dense > 0).astype(np.uint8)

    def codes(key):
        if key is None:
            return None
        if key not in data.obs:
            raise ValueError(f"obs has no column {key!r}; columns: {list(data.obs.columns)}")
        return np.unique(np.asarray(data.obs[key]).astype(str), return_inverse=True)[1]

    return x, codes(batch_key), codes(label_key)
