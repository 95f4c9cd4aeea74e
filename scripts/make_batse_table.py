"""Write the packaged BATSE table of jaxpapers.grb_clustering from the full catalogue CSV.

    python scripts/make_batse_table.py ../shared/data/batse/allgrbs.csv

Keeps the rows whose nine variables (T50, T90, F1-F4, P64, P256, P1024) are all present and
positive (1598 of 2702) and writes the trigger number and those nine values, copied as the
catalogue writes them (no rounding), to jaxpapers/grb_clustering/data/batse_1598.csv. Run once;
``tests/grb_clustering/test_data.py`` checks that the packaged table equals what the CSV gives.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

NINE = (
    "t50", "t90", "fluence_1", "fluence_2", "fluence_3", "fluence_4",
    "flux_64", "flux_256", "flux_1024",
)  # fmt: skip
OUT = Path(__file__).resolve().parents[1] / "jaxpapers" / "grb_clustering" / "data"


def complete_rows(path: Path) -> list[list[str]]:
    """Trigger and the nine values (stripped text) of every complete, positive row."""
    kept = []
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            tokens = [row[name].strip() for name in NINE]
            try:
                values = [float(token) for token in tokens]
            except ValueError:  # an empty cell: the burst lacks this variable
                continue
            if all(value > 0 for value in values):
                kept.append([row["trigger_num"].strip(), *tokens])
    return kept


def main(source: str) -> None:
    rows = complete_rows(Path(source))
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "batse_1598.csv", "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["trigger_num", *NINE])
        writer.writerows(rows)
    print(f"wrote {len(rows)} bursts to {OUT / 'batse_1598.csv'}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/batse/allgrbs.csv")
