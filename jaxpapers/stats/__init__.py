"""On-device statistics: bootstrap, permutation and combination tests, AUROC, Rubin's rules.

Everything is written for one replicate and ``vmap``-ed over keys, so resampling runs as one
compiled program on whatever devices exist.
"""

from jaxpapers.stats._bootstrap import BootstrapResult as BootstrapResult
from jaxpapers.stats._bootstrap import block_bootstrap as block_bootstrap
from jaxpapers.stats._bootstrap import block_bootstrap_indices as block_bootstrap_indices
from jaxpapers.stats._bootstrap import block_bootstrap_weights as block_bootstrap_weights
from jaxpapers.stats._bootstrap import iid_bootstrap as iid_bootstrap
from jaxpapers.stats._bootstrap import iid_bootstrap_weights as iid_bootstrap_weights
