"""The benchmark (benchmarks/turn.py) is part of the product: it must run on a fresh machine with the
test extra alone, start both servers, and report figures that agree with what it measured.

A tiny run, not a timing: the figures are checked for their shape and their consistency, never
for their speed (speed is the benchmark's own business, on a quiet machine)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import turn  # noqa: E402 - benchmarks/ is not a package

pytestmark = pytest.mark.server

TINY = ["--starts", "1", "--sequential", "5", "--conversations", "3", "--seconds", "1"]
TINY += ["--clients", "2", "--saturate-seconds", "1", "--idle", "3"]


@pytest.fixture(scope="module")
def result():
    ran = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "turn.py"), "--json", *TINY],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    return json.loads(ran.stdout)


def test_a_tiny_run_measures_both_servers_without_an_error(result):
    for name in (turn.OURS, turn.ECHO):
        assert result["sequential"][name]["samples"] == 5, result["sequential"][name]
        assert result["sequential"][name]["errors"] == {}
        assert 0 < result["sequential"][name]["p50_ms"] <= result["sequential"][name]["p90_ms"]
        assert result["concurrent"]["3"][name]["errors"] == 0, result["concurrent"]["3"][name]
        saturated = result["saturated"][name]
        # Flat out on a machine the other tests share, an answer may be refused as overload (the
        # server's calm "unavailable", never queued): nothing else.
        assert saturated["ok"] > 0 and set(saturated["error_kinds"]) <= {"unavailable"}, saturated
        assert saturated["server_cpu_ms_per_ok"] > 0, saturated
        assert result["start_to_first_turn_s"][name] > 0
    assert result["server_log_error_lines"] == {turn.OURS: 0, turn.ECHO: 0}
    assert result["database"] == "SQLite"
    machine = result["machine"]
    assert machine["reference_us_before"] > 0 and machine["reference_us_after"] > 0


def test_its_table_and_targets_say_what_it_measured(result):
    # JSON wrote the phases' conversation counts as text; the table reads them as the run made them.
    result = {**result, "concurrent": {int(count): found for count, found in result["concurrent"].items()}}
    text = turn.table(result)
    ratio, sequential = result["sequential_p50_ratio"], result["sequential"]
    assert ratio == round(sequential[turn.OURS]["p50_ms"] / sequential[turn.ECHO]["p50_ms"], 1)
    assert f"sequential p50 {ratio}x the echo (target <= 3x)" in text
    turns = result["saturated"][turn.OURS]["ok_per_second"]
    met = dict(turn.targets(result))
    assert met[f"saturated {turns:,.0f} ok turns/s (target >= 300)"] is (turns >= 300)
    # A phase it did not run (200 and 400 conversations) is no target met or missed.
    assert not any("conversations" in line for line in met)
    assert "server CPU per ok turn, ms" in text
