"""FL-Sailer against the tools used today: leverage scores by scikit-learn / scipy, and one
training epoch against a SAILER-style torch model written here for the comparison.

    python -m benchmarks.fl_sailer

Cases (one process, after compilation):

* ``leverage_3000x10000``: rank-10 column leverage of a centred TF-IDF matrix of the spec's
  generator (regime B, 3000 cells × 10000 peaks; the issue's 10k × 20k dense float32 would need
  0.8 GB per copy on a shared 2-core machine). Ours: ``randomized_leverage`` (o = 10, q = 4,
  implicit centring). Peers: ``sklearn.utils.extmath.randomized_svd`` (same k, o, q) on the
  explicitly centred dense matrix, and ``scipy.sparse.linalg.svds`` (ARPACK, k = 10) on the
  CSR matrix with the centring as a ``LinearOperator``. Records the Pearson correlation of
  each with the exact leverage (numpy SVD).
* ``leverage_3000x10000_bcoo``: the same, ours on the matrix as a
  ``jax.experimental.sparse.BCOO`` (0.9 % nonzero; never densified), same peers.
* ``epoch_10000x4000``: one epoch (B = 128) of the invariant VAE (one hidden layer of 128, the
  spec's calibration setting) on 10000 cells × 4000 peaks (20 % of 20000), loss = KL +
  2·BCE + pairwise-KL bound. Peer: the same model and loss in torch (``torch.nn``, Adam),
  written below in SAILER's style.

Both sides use the machine's threads (XLA's pool; ``torch.set_num_threads`` = cores); numpy /
scipy / scikit-learn peers run with the default BLAS threads. Results marked "under load" when
the 1-minute load average exceeds 1.5.
"""

from __future__ import annotations

import os

import numpy as np
import scipy.sparse
import scipy.sparse.linalg
from sklearn.utils.extmath import randomized_svd

import jax
import jax.numpy as jnp
from flax import nnx
from jax.experimental import sparse as jsparse

import jaxpapers.fl_sailer as fs
from benchmarks.runner import compare, compile_seconds, write_results
from jaxpapers.fl_sailer._train import _train


def _leverage_case():
    data = jax.jit(fs.make_scatac, static_argnums=(1, 2))(jax.random.key(0), 3000, 10000)
    x = np.asarray(data.x)
    x = x[:, x.sum(0) > 0]
    a = np.asarray(fs.tfidf(x, fs.global_peak_stats([x])))
    a_dev = jnp.asarray(a)
    ours = jax.jit(lambda k, m: fs.randomized_leverage(k, m, 10))
    compile_s = compile_seconds(ours, jax.random.key(1), a_dev)
    centred = a - a.mean(0)
    sparse = scipy.sparse.csr_matrix(a)
    mean = a.mean(0)
    operator = scipy.sparse.linalg.LinearOperator(
        a.shape, dtype=np.float32,
        matvec=lambda v: sparse @ v - mean @ v,
        rmatvec=lambda u: sparse.T @ u - mean * u.sum(),
        matmat=lambda v: sparse @ v - (mean @ v)[None, :],
        rmatmat=lambda u: sparse.T @ u - mean[:, None] * u.sum(0)[None, :],
    )  # fmt: skip

    def sklearn_peer():
        _, _, vt = randomized_svd(centred, 10, n_oversamples=10, n_iter=4, random_state=0)
        return (vt**2).sum(0)

    def scipy_peer():
        _, _, vt = scipy.sparse.linalg.svds(operator, k=10, random_state=0)
        return (vt**2).sum(0)

    exact = (np.linalg.svd(centred, full_matrices=False)[2][:10] ** 2).sum(0)
    ours_scores = np.asarray(ours(jax.random.key(1), a_dev))
    accuracy = {
        "pearson_ours": float(np.corrcoef(ours_scores, exact)[0, 1]),
        "pearson_sklearn": float(np.corrcoef(sklearn_peer(), exact)[0, 1]),
        "pearson_svds": float(np.corrcoef(scipy_peer(), exact)[0, 1]),
    }
    peers = {"sklearn randomized_svd": sklearn_peer, "scipy svds (CSR)": scipy_peer}
    dense_case = compare(
        "leverage_3000x10000",
        f"rank-10 leverage, centred TF-IDF {a.shape[0]} × {a.shape[1]}, float32",
        lambda: ours(jax.random.key(1), a_dev),
        peers, repeats=5, compile_s=compile_s, **accuracy,
    )  # fmt: skip
    a_sparse = jsparse.BCOO.fromdense(a_dev)
    sparse_scores = np.asarray(ours(jax.random.key(1), a_sparse))
    sparse_case = compare(
        "leverage_3000x10000_bcoo",
        f"the same, ours on a BCOO matrix ({a_sparse.nse} nonzeros, "
        f"{a_sparse.nse / a.size:.1%})",
        lambda: ours(jax.random.key(1), a_sparse),
        peers, repeats=5, compile_s=compile_seconds(ours, jax.random.key(1), a_sparse),
        pearson_ours=float(np.corrcoef(sparse_scores, exact)[0, 1]),
        max_abs_difference_to_dense=float(np.abs(sparse_scores - ours_scores).max()),
    )  # fmt: skip
    return dense_case, sparse_case


def _torch_epoch(x, cov, batch_size=128, hidden=128, latent=10):
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(0)
    p, q = x.shape[1], cov.shape[1]
    enc = torch.nn.Sequential(torch.nn.Linear(p, hidden), torch.nn.LeakyReLU(0.2))
    heads = torch.nn.Linear(hidden, 2 * latent)
    dec = torch.nn.Sequential(torch.nn.Linear(latent + q, hidden), torch.nn.LeakyReLU(0.2),
                              torch.nn.Linear(hidden, p))  # fmt: skip
    params = [*enc.parameters(), *heads.parameters(), *dec.parameters()]
    opt = torch.optim.Adam(params, lr=1e-3)
    xt, ct = torch.from_numpy(x), torch.from_numpy(cov)

    def epoch():
        order = torch.randperm(xt.shape[0])
        for start in range(0, xt.shape[0], batch_size):
            rows = order[start : start + batch_size]
            xb, cb = xt[rows], ct[rows]
            mu, logvar = heads(enc(xb)).chunk(2, dim=1)
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
            logits = dec(torch.cat([z, cb], 1))
            bce = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, xb, reduction="none").sum(1).mean()  # fmt: skip
            kl = 0.5 * (torch.exp(logvar) + mu**2 - 1 - logvar).sum(1).mean()
            var = torch.exp(logvar)
            pair = 0.5 * (var[:, None] / var[None] + (mu[:, None] - mu[None]) ** 2 / var[None]
                          - 1 + logvar[None] - logvar[:, None]).sum(-1).mean()  # fmt: skip
            loss = kl + 2 * bce + pair
            opt.zero_grad()
            loss.backward()
            opt.step()
        return loss.detach()

    return epoch


def _epoch_case():
    n, c = 10000, 4000
    x = np.asarray(jax.random.bernoulli(jax.random.key(0), 0.04, (n, c)), np.float32)
    cov = np.asarray(jax.random.normal(jax.random.key(1), (n, 4)), np.float32)
    model = fs.InvariantVAE(c, 4, hidden=(128,), layer_norm=False, rngs=nnx.Rngs(0))
    config = fs.Config.prototype(batch_size=128)
    xj, cj, mask = jnp.asarray(x), jnp.asarray(cov), jnp.ones(n, bool)
    graphdef, params = nnx.split(model)

    def ours():  # the compiled program behind fs.train, without its eager input checks
        return _train(jax.random.key(2), graphdef, params, xj, cj, mask, config, 1)[1]

    ours()  # compiles
    return compare(
        "epoch_10000x4000",
        f"one epoch, B = 128, {n} cells × {c} peaks, hidden 128, latent 10",
        ours, {"torch SAILER-style": _torch_epoch(x, cov)}, repeats=3,
    )  # fmt: skip


def main():
    cases = [*_leverage_case(), _epoch_case()]
    load = os.getloadavg()[0]
    if load > 1.5:
        for case in cases:
            case.extra["note"] = f"measured under load (1-min load average {load:.1f})"
    write_results("fl_sailer", cases)


if __name__ == "__main__":
    main()
