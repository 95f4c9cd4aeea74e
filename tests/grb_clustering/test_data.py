"""The BATSE loader, the packaged table, the log features, standardisation and the designs."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

import jax
import jax.numpy as jnp

import jaxpapers.grb_clustering as grb
from jaxpapers.grb_clustering._data import BATSE_LIKE, NINE, packaged_table

ROOT = Path(__file__).resolve().parents[2]
SHARED_CSV = Path(os.environ.get("JAXPAPERS_BATSE", ROOT.parent / "shared/data/batse/allgrbs.csv"))
needs_csv = pytest.mark.skipif(not SHARED_CSV.is_file(), reason=f"no catalogue CSV at {SHARED_CSV}")


@needs_csv
@pytest.mark.parametrize("variables", ["3var", "9var"])
def test_packaged_table_equals_what_the_csv_gives(variables):
    packaged = grb.load_batse(variables=variables)
    full = grb.load_batse(SHARED_CSV, variables)
    np.testing.assert_array_equal(packaged.X, full.X)  # bit for bit
    np.testing.assert_array_equal(packaged.trigger, full.trigger)
    assert packaged.columns == full.columns
    # the spec's counts (§2): 2702 rows, 1971 complete, 1598 complete and positive
    assert full.counts == {"rows": 2702, "incomplete": 731, "non_positive": 373, "kept": 1598}


@needs_csv
def test_packaged_table_is_the_scripts_output(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "make_table", ROOT / "scripts/make_batse_table.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.OUT = tmp_path
    script.main(str(SHARED_CSV))
    assert (tmp_path / "batse_1598.csv").read_text() == packaged_table().read_text()


def test_packaged_sample_is_the_literatures():
    data = grb.load_batse()
    assert data.X.shape == (1598, 3) and data.trigger.shape == (1598,)
    assert len(set(data.trigger.tolist())) == 1598
    # spec §2: 24.1 % of the 1598 bursts have T90 < 2 s
    assert np.mean(data.X[:, 0] < np.log10(2.0)) == pytest.approx(0.241, abs=0.001)
    nine = grb.load_batse(variables="9var")
    assert nine.X.shape == (1598, 9) and nine.columns[1] == "log10_T90"
    np.testing.assert_array_equal(nine.X[:, 1], data.X[:, 0])


def test_log_features_are_the_three_classical_variables():
    raw = np.array([[1.0, 2.0, 1e-7, 3e-7, 4e-7, 2e-7, 1.0, 0.5, 0.2]])
    X = grb.log_features(raw)
    expected = [np.log10(2.0), np.log10(1e-6), np.log10(4e-7 / 4e-7)]
    np.testing.assert_allclose(X[0], expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grb.log_features(raw, "9var"), np.log10(raw))


def test_standardise_centres_and_scales():
    X = jax.random.normal(jax.random.key(0), (50, 3)) * jnp.array([1.0, 10.0, 0.1])[None, :] + 4.0
    Z = grb.standardise(X)
    np.testing.assert_allclose(np.mean(Z, axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(np.std(Z, axis=0), 1.0, rtol=1e-5)


def test_designs_plant_what_they_say(enable_x64):
    X, component = grb.simulate(jax.random.key(1), 400, "two_clusters")
    assert int(component.sum()) == 100
    np.testing.assert_allclose(np.asarray(X[component == 1, 0]).mean(), 3.5, atol=0.4)  # 4 SE
    n = 40_000
    X, component = grb.simulate(jax.random.key(2), n, "batse_like")
    weight = float(jnp.mean(component == 0))
    assert abs(weight - BATSE_LIKE["weights"][0]) < 4 * np.sqrt(0.3 * 0.7 / n)  # 4 SE
    for k in (0, 1):
        members = np.asarray(X[component == k])
        np.testing.assert_allclose(members.mean(0), BATSE_LIKE["means"][k], atol=0.02)
        np.testing.assert_allclose(np.cov(members.T), BATSE_LIKE["covariances"][k], atol=0.02)


# ----- bad input: NaN or non-positive values where logs are taken, bad files ------------------


def test_nan_where_a_log_is_taken_is_an_error(own_validation):
    raw = np.ones((3, 9))
    raw[1, 4] = np.nan
    with pytest.raises(ValueError, match="raw must be finite"):
        grb.log_features(raw)


def test_non_positive_where_a_log_is_taken_is_an_error(own_validation):
    raw = np.ones((3, 9))
    raw[2, 5] = 0.0
    with pytest.raises(ValueError, match=r"raw must be > 0"):
        grb.log_features(raw)


def test_wrong_number_of_raw_columns_is_an_error(own_validation):
    with pytest.raises(ValueError, match="raw must have 9 columns"):
        grb.log_features(np.ones((3, 8)))


def test_unknown_variables_is_an_error(own_validation):
    with pytest.raises(ValueError, match="variables must be one of"):
        grb.load_batse(variables="4var")


def test_missing_file_is_an_error(tmp_path, own_validation):
    with pytest.raises(FileNotFoundError, match="path must be an existing"):
        grb.load_batse(tmp_path / "nothing.csv")


def test_csv_without_the_columns_is_an_error(tmp_path, own_validation):
    path = tmp_path / "other.csv"
    path.write_text("trigger_num,t90\n1,2.0\n")
    with pytest.raises(ValueError, match="lacking t50"):
        grb.load_batse(path)


def test_bad_rows_are_dropped_and_counted(tmp_path):
    path = tmp_path / "small.csv"
    rows = [
        "1," + ",".join(["1.0"] * 9),
        "2," + ",".join(["1.0"] * 8) + ",",
        "3,0," + ",".join(["1"] * 8),
    ]
    path.write_text("trigger_num," + ",".join(NINE) + "\n" + "\n".join(rows) + "\n")
    data = grb.load_batse(path)
    assert data.counts == {"rows": 3, "incomplete": 1, "non_positive": 1, "kept": 1}
    assert data.trigger.tolist() == [1]


def test_csv_without_a_complete_burst_is_an_error(tmp_path, own_validation):
    path = tmp_path / "empty.csv"
    path.write_text("trigger_num," + ",".join(NINE) + "\n1," + ",".join(["-1"] * 9) + "\n")
    with pytest.raises(ValueError, match="at least one complete, positive burst"):
        grb.load_batse(path)


def test_constant_column_cannot_be_standardised(own_validation):
    with pytest.raises(ValueError, match="non-zero spread"):
        grb.standardise(jnp.ones((5, 2)))


def test_nan_cannot_be_standardised(own_validation):
    with pytest.raises(ValueError, match="X must be finite"):
        grb.standardise(jnp.array([[1.0], [jnp.nan]]))


def test_bad_design_is_an_error(own_validation):
    with pytest.raises(ValueError, match="design must be one of"):
        grb.simulate(jax.random.key(0), 10, "three_clusters")
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        grb.simulate(jax.random.key(0), 1, "unimodal")
