"""Small dense linear algebra in plain XLA operations: no LAPACK custom calls.

On XLA:CPU, ``jnp.linalg`` routines are LAPACK custom calls that split a batch over the intra-op
thread pool and block until it finishes; two such calls ready at once can each hold a pool
thread waiting for work no free thread is left to run, and on a 2-core machine the program
never finishes (found in PAIR-CI). Programs that batch small solves use these functions instead;
they compile to ordinary fused XLA code, cost O(d³) like LAPACK's, and are differentiable.

* :func:`cholesky`: lower factor L of A = L Lᵀ (NaN when A is not positive definite);
* :func:`solve_lower`, :func:`solve_upper`, :func:`cho_solve`: triangular and SPD solves;
* :func:`spd_solve`: A⁻¹ b for SPD A;
* :func:`lstsq`: weighted, ridge-regularised least squares through the normal equations.

>>> import jax.numpy as jnp
>>> from jaxpapers import linalg
>>> a = jnp.array([[4.0, 2.0], [2.0, 3.0]])
>>> linalg.spd_solve(a, a @ jnp.array([1.0, -2.0])).round(5).tolist()
[1.0, -2.0]
"""

from jaxpapers.linalg._cholesky import cho_solve as cho_solve
from jaxpapers.linalg._cholesky import cholesky as cholesky
from jaxpapers.linalg._cholesky import lstsq as lstsq
from jaxpapers.linalg._cholesky import solve_lower as solve_lower
from jaxpapers.linalg._cholesky import solve_upper as solve_upper
from jaxpapers.linalg._cholesky import spd_solve as spd_solve
