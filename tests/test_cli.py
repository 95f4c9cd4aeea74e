"""The `jaxpapers` command: listing, running, exit codes, output files and usage errors."""

import json
import os
import subprocess
import sys

import pytest

from jaxpapers import _registry, cli
from jaxpapers._registry import Registry, Reproduction
from jaxpapers.report import Claim, Report


def _toy_run(passes: bool):
    def run(config, key, workdir):
        report = Report("toy", "toy title", workdir)
        report.add(
            Claim.at_least(
                "c", "s", paper=1, provenance="P", measured=config, bound=1 if passes else 99
            )
        )
        return report

    return run


def _registry_with(*entries):
    return Registry(entries=entries)


def _toy(name="toy", passes=True):
    return Reproduction(
        name, "toy title", "Doe 2026", quick=lambda: 2, full=lambda: 3, run=_toy_run(passes)
    )


def test_reproduce_writes_reports_and_exits_0(tmp_path, capsys):
    code = cli.main(["reproduce", "toy", "--out", str(tmp_path)], _registry_with(_toy()))
    assert code == 0
    data = json.loads((tmp_path / "toy" / "report.json").read_text())
    assert data["passed"] and data["meta"]["mode"] == "quick" and data["meta"]["config"] == 2
    assert (tmp_path / "toy" / "report.md").exists()
    assert "PASS" in capsys.readouterr().out


def test_full_mode_uses_the_full_config(tmp_path):
    cli.main(["reproduce", "toy", "--full", "--out", str(tmp_path)], _registry_with(_toy()))
    assert json.loads((tmp_path / "toy" / "report.json").read_text())["meta"]["config"] == 3


def test_a_failed_claim_exits_1(tmp_path):
    registry = _registry_with(_toy(), _toy("bad", passes=False))
    assert cli.main(["reproduce", "all", "--out", str(tmp_path)], registry) == 1
    assert (tmp_path / "toy" / "report.json").exists() and (
        tmp_path / "bad" / "report.json"
    ).exists()


def test_a_crashing_run_exits_1_and_others_still_run(tmp_path, capsys):
    def crash(config, key, workdir):
        raise RuntimeError("boom")

    broken = Reproduction("broken", "t", "p", quick=lambda: 1, full=lambda: 1, run=crash)
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
    stale = tmp_path / "toy" / "ckpt"
    stale.mkdir(parents=True)
    cli.main(["reproduce", "toy", "--resume", "--out", str(tmp_path)], _registry_with(_toy()))
    assert stale.exists()
    cli.main(["reproduce", "toy", "--out", str(tmp_path)], _registry_with(_toy()))
    assert not stale.exists()


def test_list_shows_name_and_paper(capsys):
    cli.main(["list"], _registry_with(_toy()))
    out = capsys.readouterr().out
    assert "toy" in out and "Doe 2026" in out


def _command(*args, cwd):
    env = dict(os.environ, TQDM_DISABLE="1")
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


def test_reproduce_all_on_the_shipped_registry_runs(tmp_path):
    if _registry.BUILTIN:
        pytest.skip("covered per method by test_quick_reproduction")
    result = _command("reproduce", "all", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", _registry.BUILTIN or ["(none)"])
def test_quick_reproduction(name, tmp_path):
    if name == "(none)":
        pytest.skip("no method has landed yet")
    result = _command("reproduce", name, "--quick", "--out", str(tmp_path), cwd=tmp_path)
    report = json.loads((tmp_path / name / "report.json").read_text())
    failed = [c["id"] for c in report["claims"] if not c["passed"]]
    assert result.returncode == (1 if failed else 0), result.stderr[-3000:]
    assert report["claims"], "a reproduction must check at least one claim"
