"""Adam vs SGD under drift: tracking simulators, floors, burn-in times and bounds.

Reference implementation for Sahu, Sarkar, Hogan & Wells, "Adapt or Forget: Provable Tradeoffs
Between Adam and SGD in Nonstationary Optimization" (arXiv 2605.04269, 2026). The paper's full
text was not available; see README.md for which statements are the paper's and which are ours.

The optimisers are optax's own (:func:`optimizer` maps a name and :class:`Hyperparams` to an
``optax.GradientTransformation``; :func:`simulate` also takes any optax transformation).
"""

from jaxpapers.adam_sgd_tracking._bounds import AdamBoundConstants as AdamBoundConstants
from jaxpapers.adam_sgd_tracking._bounds import SGDBoundConstants as SGDBoundConstants
from jaxpapers.adam_sgd_tracking._bounds import adam_burn_in_lower_bound as adam_burn_in_lower_bound
from jaxpapers.adam_sgd_tracking._bounds import adam_step_bound as adam_step_bound
from jaxpapers.adam_sgd_tracking._bounds import adam_tracking_bound as adam_tracking_bound
from jaxpapers.adam_sgd_tracking._bounds import asm_modulus as asm_modulus
from jaxpapers.adam_sgd_tracking._bounds import noise_drift_crossover as noise_drift_crossover
from jaxpapers.adam_sgd_tracking._bounds import sgd_optimal_step as sgd_optimal_step
from jaxpapers.adam_sgd_tracking._bounds import sgd_tracking_bound as sgd_tracking_bound
from jaxpapers.adam_sgd_tracking._bounds import tune_step_size as tune_step_size
from jaxpapers.adam_sgd_tracking._floors import burn_in_time as burn_in_time
from jaxpapers.adam_sgd_tracking._floors import momentum_floor as momentum_floor
from jaxpapers.adam_sgd_tracking._floors import sgd_burn_in as sgd_burn_in
from jaxpapers.adam_sgd_tracking._floors import sgd_error_recursion as sgd_error_recursion
from jaxpapers.adam_sgd_tracking._floors import sgd_floor as sgd_floor
from jaxpapers.adam_sgd_tracking._floors import step_decay_schedule as step_decay_schedule
from jaxpapers.adam_sgd_tracking._optim import OPTIMIZERS as OPTIMIZERS
from jaxpapers.adam_sgd_tracking._optim import as_optimizer_factory as as_optimizer_factory
from jaxpapers.adam_sgd_tracking._optim import optimizer as optimizer
from jaxpapers.adam_sgd_tracking._problems import QuadraticTracking as QuadraticTracking
from jaxpapers.adam_sgd_tracking._problems import RotatingLogistic as RotatingLogistic
from jaxpapers.adam_sgd_tracking._problems import quadratic_tracking as quadratic_tracking
from jaxpapers.adam_sgd_tracking._problems import rotating_logistic as rotating_logistic
from jaxpapers.adam_sgd_tracking._simulate import block_steps as block_steps
from jaxpapers.adam_sgd_tracking._simulate import init as init
from jaxpapers.adam_sgd_tracking._simulate import simulate as simulate
from jaxpapers.adam_sgd_tracking._simulate import step as step
from jaxpapers.adam_sgd_tracking._simulate import track as track
from jaxpapers.adam_sgd_tracking._study import adam_step_ratios as adam_step_ratios
from jaxpapers.adam_sgd_tracking._study import adversarial_stream as adversarial_stream
from jaxpapers.adam_sgd_tracking._study import hetero_noise as hetero_noise
from jaxpapers.adam_sgd_tracking._study import measure_burn_in as measure_burn_in
from jaxpapers.adam_sgd_tracking._study import stationarity_gap as stationarity_gap
from jaxpapers.adam_sgd_tracking._study import tuned_floor as tuned_floor
from jaxpapers.adam_sgd_tracking._types import BurnIn as BurnIn
from jaxpapers.adam_sgd_tracking._types import Config as Config
from jaxpapers.adam_sgd_tracking._types import Hyperparams as Hyperparams
from jaxpapers.adam_sgd_tracking._types import OptimalStep as OptimalStep
from jaxpapers.adam_sgd_tracking._types import SimulationResult as SimulationResult
from jaxpapers.adam_sgd_tracking._types import TrackInfo as TrackInfo
from jaxpapers.adam_sgd_tracking._types import TrackState as TrackState
from jaxpapers.adam_sgd_tracking._types import TunedFloor as TunedFloor
from jaxpapers.adam_sgd_tracking._types import hyperparameter_grid as hyperparameter_grid


def citation() -> str:
    """BibTeX of the paper."""
    return """@article{sahu2026adapt,
  title   = {Adapt or Forget: Provable Tradeoffs Between {Adam} and {SGD} in Nonstationary
             Optimization},
  author  = {Sahu and Sarkar and Hogan and Wells},
  journal = {arXiv preprint arXiv:2605.04269},
  year    = {2026}
}"""
