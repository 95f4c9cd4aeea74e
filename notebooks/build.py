"""Turn every jupytext percent script in this folder into an executed .ipynb beside it.

Usage: ``python notebooks/build.py [NAME ...]`` (needs the ``notebooks`` extra).
"""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def scripts(names=()):
    found = sorted(p for p in HERE.glob("*.py") if p.name != "build.py")
    return [p for p in found if not names or p.stem in names]


def main(names):
    for script in scripts(names):
        print(f"executing {script.name}", flush=True)
        subprocess.run(
            ["jupytext", "--to", "ipynb", "--execute", "--set-kernel", "python3", str(script)],
            check=True,
            env=dict(os.environ, PYTHONPATH=str(HERE.parent)),  # this checkout's jaxpapers
        )


if __name__ == "__main__":
    main(sys.argv[1:])
