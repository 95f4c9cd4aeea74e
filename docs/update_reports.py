"""Refresh ``docs/reports/<m>.json`` from quick reproductions, for the method pages.

Usage: ``python docs/update_reports.py [--from OUT] [NAME ...]``. With ``--from OUT`` the
reports are copied from a finished ``jaxpapers reproduce ... --out OUT`` run; without it each named
method (all by default) is reproduced at ``--quick`` scale first.
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "docs" / "reports"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*")
    parser.add_argument("--from", dest="source", type=Path, default=None)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import jaxpapers

    names = args.names or list(jaxpapers.METHODS)
    source = args.source
    if source is None:
        source = Path(tempfile.mkdtemp())
        command = [sys.executable, "-m", "jaxpapers", "reproduce", *names, "--quick"]
        subprocess.run([*command, "--out", str(source)], cwd=ROOT, check=False)
    REPORTS.mkdir(parents=True, exist_ok=True)
    for name in names:
        report = source / name / "report.json"
        if not report.exists():
            print(f"{name}: no report in {source}", file=sys.stderr)
            continue
        json.loads(report.read_text())  # refuse a broken file
        shutil.copy2(report, REPORTS / f"{name}.json")
        print(f"{name}: {REPORTS / f'{name}.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
