"""The benchmark runner times after compilation and writes ratios with the machine."""

import json
import time

import jax
import jax.numpy as jnp

from benchmarks import runner


def test_compare_and_write(tmp_path):
    ours = jax.jit(lambda x: jnp.sum(x**2))
    x = jnp.ones(1000)

    def slow_peer():
        time.sleep(0.01)
        return 1.0

    case = runner.compare(
        "toy",
        "n=1000",
        lambda: ours(x),
        {"sleepy": slow_peer},
        repeats=3,
        compile_s=runner.compile_seconds(ours, x),
        error=0.0,
    )
    assert case.ratios["sleepy"] > 1.0
    assert case.compile_s is not None and case.compile_s > 0
    path = runner.write_results("toy", [case], tmp_path)
    data = json.loads((tmp_path / "toy.json").read_text())
    assert data["machine"]["cores"] >= 1 and data["cases"][0]["ratios"]["sleepy"] > 1.0
    assert data["machine"]["load_at_start"] >= 0 and data["machine"]["load_at_end"] >= 0
    table = path.read_text()
    assert "sleepy" in table and "Machine:" in table and "x |" in table and "load average" in table


def test_time_callable_counts_repeats():
    calls = []
    times = runner.time_callable(lambda: calls.append(1), repeats=4, warmup=2)
    assert len(times) == 4 and len(calls) == 6
