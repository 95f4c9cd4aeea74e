"""Config validation, the public surface and the citation."""

import pytest

from jaxpapers import fpo


def test_config_defaults_and_replace():
    config = fpo.Config()
    assert config.mode == "relaxed" and config.stop_grad_oracle and config.solver == "cg"
    assert config.replace(mode="practical").mode == "practical"
    assert hash(config) == hash(fpo.Config())  # static argument of jit


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"mode": "greedy"},
            ValueError,
            "Config.mode must be one of 'myopic', 'exact', 'relaxed', 'practical'",
        ),
        ({"gamma": -0.1}, ValueError, "Config.gamma must lie in"),
        ({"solver": "lu"}, ValueError, "Config.solver must be one of"),
        ({"damping": -1.0}, ValueError, "Config.damping must lie in"),
        ({"tol": 0.0}, ValueError, "Config.tol must be > 0"),
        ({"maxiter": 0}, ValueError, "Config.maxiter must be an integer >= 1"),
        ({"stop_grad_oracle": 1}, TypeError, "Config.stop_grad_oracle must be a bool"),
    ],
)
def test_bad_config(kwargs, error, match, own_validation):
    with pytest.raises(error, match=match):
        fpo.Config(**kwargs)


def test_citation_and_surface():
    assert "2605.04266" in fpo.citation() and fpo.citation().startswith("@article")
    for name in (
        "steering_gradient",
        "steering_gradient_with_info",
        "total_gradient",
        "influence",
        "effective_reward",
        "penalty",
        "win_rate_test",
        "simulate",
        "simulate_seeds",
    ):
        assert callable(getattr(fpo, name)), name
