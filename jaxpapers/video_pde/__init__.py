"""From video to PDE: weak-form sparse regression for dye plumes (Acosta-Minoli & Sarkar, 2026).

The paper's law, found from grayscale video of an ink plume:

    u_t + v(t)·∇u = a |∇u|² + D Δu,    a = 9.005, D = 0.666.

Each stage is a pure JAX function: S1 :func:`normalise_frames` (:func:`reference_level`);
S2 :func:`centroid_track`, :func:`drift_velocity`; S3 :func:`assemble` (weak form, (1 − s²)^p
test functions, Richardson-stencil |∇u|²) with :func:`jaxpapers.sparse.stlsq`; S4 diagnostics
in :func:`discover`
(:func:`random_centre_test`); S5 :func:`refine_pinn`; S6 :func:`spectral_rollout`,
:func:`fd_rollout`, :func:`calibrate_rollout`; S7 :func:`jaxpapers.stats.block_bootstrap`;
S8 :func:`to_w`, :func:`kappa_scan`. :func:`discover` runs S1–S4 and S7 end to end;
:func:`synthetic_plume` renders the spec's exact synthetic video.
"""

from jaxpapers.video_pde._calibrate import calibrate_rollout as calibrate_rollout
from jaxpapers.video_pde._calibrate import relative_error as relative_error
from jaxpapers.video_pde._calibrate import shooting_loss as shooting_loss
from jaxpapers.video_pde._colehopf import kappa_scan as kappa_scan
from jaxpapers.video_pde._colehopf import pde_residual as pde_residual
from jaxpapers.video_pde._colehopf import to_u as to_u
from jaxpapers.video_pde._colehopf import to_w as to_w
from jaxpapers.video_pde._colehopf import w_residual as w_residual
from jaxpapers.video_pde._discover import discover as discover
from jaxpapers.video_pde._discover import estimate as estimate
from jaxpapers.video_pde._discover import identify as identify
from jaxpapers.video_pde._discover import random_centre_test as random_centre_test
from jaxpapers.video_pde._drift import centroid_track as centroid_track
from jaxpapers.video_pde._drift import comoving_frames as comoving_frames
from jaxpapers.video_pde._drift import drift_velocity as drift_velocity
from jaxpapers.video_pde._io import load_frames as load_frames
from jaxpapers.video_pde._io import save_frames as save_frames
from jaxpapers.video_pde._pinn import refine_pinn as refine_pinn
from jaxpapers.video_pde._prep import gaussian_smooth as gaussian_smooth
from jaxpapers.video_pde._prep import noise_level as noise_level
from jaxpapers.video_pde._prep import normalise_frames as normalise_frames
from jaxpapers.video_pde._prep import reference_level as reference_level
from jaxpapers.video_pde._prep import to_grayscale as to_grayscale
from jaxpapers.video_pde._rollout import fd_rollout as fd_rollout
from jaxpapers.video_pde._rollout import frame_displacements as frame_displacements
from jaxpapers.video_pde._rollout import pad_frames as pad_frames
from jaxpapers.video_pde._rollout import spectral_rollout as spectral_rollout
from jaxpapers.video_pde._synth import PAPER_A as PAPER_A
from jaxpapers.video_pde._synth import PAPER_D as PAPER_D
from jaxpapers.video_pde._synth import plume_centre as plume_centre
from jaxpapers.video_pde._synth import plume_drift as plume_drift
from jaxpapers.video_pde._synth import plume_field as plume_field
from jaxpapers.video_pde._synth import render_frames as render_frames
from jaxpapers.video_pde._synth import synthetic_plume as synthetic_plume
from jaxpapers.video_pde._types import COMPACT as COMPACT
from jaxpapers.video_pde._types import DISTRACTORS as DISTRACTORS
from jaxpapers.video_pde._types import OVERCOMPLETE as OVERCOMPLETE
from jaxpapers.video_pde._types import TERMS as TERMS
from jaxpapers.video_pde._types import Calibration as Calibration
from jaxpapers.video_pde._types import Config as Config
from jaxpapers.video_pde._types import Discovery as Discovery
from jaxpapers.video_pde._types import Estimate as Estimate
from jaxpapers.video_pde._types import Identification as Identification
from jaxpapers.video_pde._types import KappaScan as KappaScan
from jaxpapers.video_pde._types import PinnResult as PinnResult
from jaxpapers.video_pde._types import PlumeVideo as PlumeVideo
from jaxpapers.video_pde._types import WeakSystem as WeakSystem
from jaxpapers.video_pde._weak import assemble as assemble
from jaxpapers.video_pde._weak import bump as bump
from jaxpapers.video_pde._weak import feature_channels as feature_channels
from jaxpapers.video_pde._weak import gradient_squared as gradient_squared
from jaxpapers.video_pde._weak import sample_centres as sample_centres


def citation() -> str:
    """BibTeX of the paper."""
    return """@article{acostaminoli2026videopde,
  title   = {From Video-to-{PDE}: Data-Driven Discovery of Nonlinear Dye Plume Dynamics},
  author  = {Acosta-Minoli, Cesar and Sarkar, Sayantan},
  journal = {arXiv preprint arXiv:2605.04535},
  year    = {2026}
}"""
