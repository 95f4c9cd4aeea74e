"""The `jaxpapers` command: listing, running, exit codes, output files and usage errors."""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

from jaxpapers import _registry, cli
from jaxpapers._registry import Registry, Reproduction
from jaxpapers._stages import Stage
from tests import toy_experiment


def _registry_with(*entries):
    return Registry(entries=entries)


def _toy(name="toy", passes=True):
    entry = dataclasses.replace(Reproduction.from_module(name, toy_experiment), name=name)
    if passes:
        return entry
    failing = dataclasses.replace(toy_experiment.Scale.quick(), bound=99.0)
    scale = type("FailingScale", (), {"quick": lambda: failing, "full": lambda: failing})
    return dataclasses.replace(entry, scale=scale)


def test_reproduce_writes_reports_and_exits_0(tmp_path, capsys):
    code = cli.main(["reproduce", "toy", "--out", str(tmp_path)], _registry_with(_toy()))
    assert code == 0
    data = json.loads((tmp_path / "toy" / "report.json").read_text())
    assert data["passed"] and data["meta"]["mode"] == "quick" and data["meta"]["scale"]["n"] == 8
    assert (tmp_path / "toy" / "report.md").exists()
    assert "PASS" in capsys.readouterr().out


def test_full_mode_uses_the_full_config(tmp_path):
    cli.main(["reproduce", "toy", "--full", "--out", str(tmp_path)], _registry_with(_toy()))
    assert json.loads((tmp_path / "toy" / "report.json").read_text())["meta"]["scale"]["n"] == 64


def test_a_failed_claim_exits_1(tmp_path):
    registry = _registry_with(_toy(), _toy("bad", passes=False))
    assert cli.main(["reproduce", "all", "--out", str(tmp_path)], registry) == 1
    assert (tmp_path / "toy" / "report.json").exists() and (
        tmp_path / "bad" / "report.json"
    ).exists()


def test_a_crashing_run_exits_1_and_others_still_run(tmp_path, capsys):
    def crash(key, scale, done):
        raise RuntimeError("boom")

    broken = dataclasses.replace(_toy("broken"), stages=(Stage("crash", crash),))
    code = cli.main(
        ["reproduce", "broken", "toy", "--out", str(tmp_path)], _registry_with(broken, _toy())
    )
    assert code == 1
    assert (tmp_path / "toy" / "report.json").exists()
    assert "broken ERROR" in capsys.readouterr().out


def test_unknown_name_exits_2_and_names_the_known(tmp_path, capsys):
    code = cli.main(["reproduce", "nosuchname", "--out", str(tmp_path)], _registry_with(_toy()))
    assert code == 2
    assert "toy" in capsys.readouterr().err


def test_unwritable_out_is_a_clear_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code = cli.main(["reproduce", "toy", "--out", str(blocker / "sub")], _registry_with(_toy()))
    assert code == 2
    err = capsys.readouterr().err
    assert "cannot write to --out" in err and "Traceback" not in err


def test_resume_keeps_checkpoints_and_a_fresh_run_clears_them(tmp_path):
    registry = _registry_with(_toy())
    cli.main(["reproduce", "toy", "--out", str(tmp_path)], registry)
    first = json.loads((tmp_path / "toy" / "report.json").read_text())
    assert (tmp_path / "toy" / "ckpt").is_dir() and first["meta"]["resumed_stages"] == []
    cli.main(["reproduce", "toy", "--resume", "--out", str(tmp_path)], registry)
    resumed = json.loads((tmp_path / "toy" / "report.json").read_text())
    assert resumed["meta"]["resumed_stages"] == ["draw", "shift"]
    assert resumed["claims"] == first["claims"]
    stale = tmp_path / "toy" / "ckpt" / "stale"
    stale.mkdir()
    cli.main(["reproduce", "toy", "--out", str(tmp_path)], registry)
    assert not stale.exists()
    fresh = json.loads((tmp_path / "toy" / "report.json").read_text())
    assert fresh["meta"]["resumed_stages"] == [] and fresh["claims"] == first["claims"]


def test_resume_refuses_another_seeds_checkpoints(tmp_path, capsys):
    registry = _registry_with(_toy())
    cli.main(["reproduce", "toy", "--out", str(tmp_path)], registry)
    code = cli.main(
        ["reproduce", "toy", "--resume", "--seed", "3", "--out", str(tmp_path)], registry
    )
    assert code == 1 and "another seed or scale" in capsys.readouterr().err


def test_distributed_passes_the_process_layout_from_the_environment(tmp_path, monkeypatch):
    """JAX 0.10 reads JAX_COORDINATOR_ADDRESS itself but not JAX_NUM_PROCESSES/JAX_PROCESS_ID:
    --distributed passes those two (a local two-process run failed without it)."""
    import jax

    calls = []
    monkeypatch.setattr(jax.distributed, "initialize", lambda **kw: calls.append(kw))
    monkeypatch.setenv("JAX_NUM_PROCESSES", "2")
    monkeypatch.setenv("JAX_PROCESS_ID", "1")
    registry = _registry_with(_toy())
    cli.main(["reproduce", "toy", "--distributed", "--out", str(tmp_path)], registry)
    assert calls == [{"num_processes": 2, "process_id": 1}]
    monkeypatch.delenv("JAX_NUM_PROCESSES")
    monkeypatch.delenv("JAX_PROCESS_ID")
    cli.main(["reproduce", "toy", "--distributed", "--out", str(tmp_path)], registry)
    assert calls[-1] == {}  # JAX's own cluster detection (SLURM, Open MPI, Kubernetes, TPU)
    monkeypatch.setenv("JAX_PROCESS_ID", "first")
    code = cli.main(["reproduce", "toy", "--distributed", "--out", str(tmp_path)], registry)
    assert code == 2


def test_list_shows_name_and_paper(capsys):
    cli.main(["list"], _registry_with(_toy()))
    out = capsys.readouterr().out
    assert "toy" in out and "Doe 2026" in out


ROOT = Path(__file__).resolve().parents[1]


def _command(*args, cwd):
    env = dict(os.environ, TQDM_DISABLE="1", PYTHONPATH=str(ROOT))  # test this checkout
    return subprocess.run(
        [sys.executable, "-m", "jaxpapers", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_shipped_command_usage_errors(tmp_path):
    assert _command("reproduce", "nosuchname", cwd=tmp_path).returncode == 2
    assert _command("frobnicate", cwd=tmp_path).returncode == 2
    help_text = _command("reproduce", "--help", cwd=tmp_path).stdout
    assert "--quick" in help_text and "--resume" in help_text


def test_the_shipped_list_names_every_builtin(tmp_path):
    listing = _command("list", cwd=tmp_path).stdout
    assert all(name in listing for name in _registry.BUILTIN)
