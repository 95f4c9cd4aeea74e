"""The built wheel installs in a fresh venv outside the checkout and runs the command from it."""

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The method whose quick reproduction runs from the wheel: the cheapest without the optional
# wheels (about 11 s on 2 cores). The package data the wheel must ship is checked by loading it.
WHEEL_REPRODUCTION = "attention_transport"


def _run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, timeout=900, **kwargs)
    assert result.returncode == 0, (args, result.stdout[-2000:], result.stderr[-4000:])
    return result


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory):
    if shutil.which("git") is None:
        pytest.skip("needs git to copy the checkout")
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # build from a clean copy of the tracked files, as a release would
    _run(["git", "worktree", "add", "--detach", str(source), "HEAD"], cwd=ROOT)
    try:
        for path in _run(
            ["git", "ls-files", "-m", "-o", "--exclude-standard"], cwd=ROOT
        ).stdout.split():
            if (ROOT / path).is_file():  # uncommitted changes travel too
                (source / path).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / path, source / path)
        dist = work / "dist"
        _run(
            [sys.executable, "-m", "build", "--no-isolation", "--wheel", "-o", str(dist)],
            cwd=source,
        )
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(source)], cwd=ROOT)
    (wheel,) = dist.glob("jaxpapers-*.whl")
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", str(wheel)])
    # The dependencies come from this environment's site-packages, added as plain paths (the
    # .pth files inside them, such as an editable install of the checkout, are not processed).
    target = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]
        ).stdout.strip()
    )
    (target / "_parent_env.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(TQDM_DISABLE="1", MPLBACKEND="Agg")
    return venv, env, work


def test_the_wheel_is_what_runs(wheel_venv):
    venv, env, work = wheel_venv
    where = _run(
        [str(venv / "bin" / "python"), "-c", "import jaxpapers; print(jaxpapers.__file__)"],
        env=env,
        cwd=work,
    )
    assert str(venv) in where.stdout and str(ROOT) not in where.stdout
    typed = _run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import jaxpapers, pathlib; "
            "print((pathlib.Path(jaxpapers.__file__).parent / 'py.typed').exists())",
        ],
        env=env,
        cwd=work,
    )
    assert typed.stdout.strip() == "True"


def test_the_wheel_ships_the_batse_table(wheel_venv):
    # grb_clustering's quick reproduction reads the 1598-burst BATSE table shipped inside the
    # package (jaxpapers/grb_clustering/data/batse_1598.csv): a missing package-data
    # declaration fails here.
    venv, env, work = wheel_venv
    loaded = _run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import jaxpapers.grb_clustering as g; print(g.load_batse().X.shape)",
        ],
        env=env,
        cwd=work,
    )
    assert loaded.stdout.strip() == "(1598, 3)"


def test_list_and_one_quick_reproduction_from_the_wheel(wheel_venv):
    venv, env, work = wheel_venv
    command = str(venv / "bin" / "jaxpapers")
    listing = _run([command, "list"], env=env, cwd=work).stdout
    assert WHEEL_REPRODUCTION in listing
    out = work / "out"
    result = subprocess.run(
        [command, "reproduce", WHEEL_REPRODUCTION, "--quick", "--out", str(out)],
        env=env, cwd=work, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert (out / WHEEL_REPRODUCTION / "report.json").exists(), result.stderr[-4000:]
    assert result.returncode in (0, 1), result.stderr[-4000:]  # 1: a claim failed, reported
