"""The stage runner: keys by name, NaN refusal, checkpoints, interrupt and resume."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import jax

from jaxpapers import _stages
from jaxpapers._stages import Stage, StageResult
from jaxpapers.report import Claim
from tests import toy_experiment

ROOT = Path(__file__).resolve().parents[1]
SCALE = toy_experiment.Scale.quick()


def _run(tmp_path, stages=toy_experiment.STAGES, **kwargs):
    return _stages.run("toy", "t", stages, SCALE, jax.random.key(0), tmp_path, **kwargs)


def test_stage_keys_depend_on_the_name_only(tmp_path):
    alone = _run(tmp_path / "a")
    extra = Stage("extra", lambda key, scale, done: StageResult(arrays={"z": np.zeros(1)}))
    more = _run(tmp_path / "b", stages=(extra, *toy_experiment.STAGES))
    np.testing.assert_array_equal(alone.arrays["x"], more.arrays["x"])
    np.testing.assert_array_equal(alone.arrays["noise"], more.arrays["noise"])
    key = jax.random.key(0)
    assert not np.array_equal(
        jax.random.key_data(_stages.stage_key(key, "draw")),
        jax.random.key_data(_stages.stage_key(key, "shift")),
    )


def test_later_stages_see_earlier_arrays_and_meta_records_time(tmp_path):
    report = _run(tmp_path)
    assert report.passed and [c.id for c in report.claims] == ["n", "shift"]
    np.testing.assert_allclose(report.arrays["y"], report.arrays["x"] + 1.0)
    assert set(report.meta["stages"]) == {"draw", "shift"}


def test_a_nan_claim_or_array_stops_the_run_naming_the_stage(tmp_path):
    def bad_claim(key, scale, done):
        claim = Claim.at_most("c", "s", expected=1, provenance="derived", measured=np.nan, bound=1)
        return StageResult(claims=[claim])

    with pytest.raises(FloatingPointError, match="'broken'.*'c'"):
        _run(tmp_path / "a", stages=(Stage("broken", bad_claim),))

    def bad_array(key, scale, done):
        return StageResult(arrays={"v": np.array([1.0, np.inf])})

    with pytest.raises(FloatingPointError, match="'inf stage'.*'v'"):
        _run(tmp_path / "b", stages=(Stage("inf stage", bad_array),))

    def padded(key, scale, done):
        return StageResult(arrays={"v": np.array([1.0, np.nan])}, nan_ok=("v",))

    assert np.isnan(_run(tmp_path / "c", stages=(Stage("padded", padded),)).arrays["v"][1])


def test_a_stage_must_return_a_stage_result(tmp_path):
    with pytest.raises(TypeError, match="StageResult"):
        _run(tmp_path, stages=(Stage("wrong", lambda key, scale, done: {}),))


def test_interrupted_then_resumed_equals_uninterrupted(tmp_path):
    reference = _run(tmp_path / "ref")

    def interrupted(key, scale, done):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path / "run", stages=(toy_experiment.STAGES[0], Stage("shift", interrupted)))
    resumed = _run(tmp_path / "run", resume=True)
    assert resumed.meta["resumed_stages"] == ["draw"]
    assert resumed.claims == reference.claims
    for name in reference.arrays:
        np.testing.assert_array_equal(resumed.arrays[name], reference.arrays[name])


def test_figures_survive_a_resume(tmp_path):
    import matplotlib.pyplot as plt

    def drawing(key, scale, done):
        figure, axis = plt.subplots()
        axis.plot([0, 1])
        return StageResult(figures={"line": figure}, arrays={"a": np.ones(2)})

    _run(tmp_path, stages=(Stage("fig", drawing),))
    resumed = _run(tmp_path, stages=(Stage("fig", drawing),), resume=True)
    assert resumed.figures == {"line": "line.png"} and (tmp_path / "line.png").exists()


def test_resume_onto_another_seed_is_refused(tmp_path):
    _run(tmp_path)
    with pytest.raises(ValueError, match="another seed or scale"):
        _stages.run("toy", "t", toy_experiment.STAGES, SCALE, jax.random.key(1), tmp_path,
                    resume=True)  # fmt: skip


_SLOW_SECOND_STAGE = textwrap.dedent(
    """
    import dataclasses, sys, time
    from tests import toy_experiment
    from jaxpapers import cli
    from jaxpapers._registry import Registry, Reproduction
    from jaxpapers._stages import Stage

    def slow(key, scale, done):
        if "--resume" not in sys.argv:
            time.sleep(600)
        return toy_experiment.shift(key, scale, done)

    entry = Reproduction.from_module("toy", toy_experiment)
    entry = dataclasses.replace(entry, stages=(toy_experiment.STAGES[0], Stage("shift", slow)))
    sys.exit(cli.main(sys.argv[1:], Registry(entries=[entry])))
    """
)


def test_sigterm_keeps_finished_stages_and_resume_completes(tmp_path):
    script = tmp_path / "toy_cli.py"
    script.write_text(_SLOW_SECOND_STAGE)
    env = dict(os.environ, PYTHONPATH=str(ROOT), TQDM_DISABLE="1")
    args = [sys.executable, str(script), "reproduce", "toy", "--out", str(tmp_path / "out")]
    log = tmp_path / "stderr.txt"
    with log.open("w") as stderr:
        process = subprocess.Popen(args, env=env, cwd=ROOT, stderr=stderr)
    marker = tmp_path / "out" / "toy" / "ckpt" / "00_draw" / "0"
    deadline = time.monotonic() + 120
    while not marker.is_dir() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    assert marker.is_dir(), log.read_text()[-2000:]
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) != 0
    resumed = subprocess.run([*args, "--resume"], env=env, cwd=ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    report = json.loads((tmp_path / "out" / "toy" / "report.json").read_text())
    assert report["meta"]["resumed_stages"] == ["draw"]
    assert [c["verdict"] for c in report["claims"]] == ["pass", "pass"]
