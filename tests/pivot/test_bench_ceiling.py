"""bench/pivot.py's ceiling server answers as kfn's Pivot URL does (it is run by hand, so a
change to the Pivot service that breaks it would otherwise go unseen until the next bench)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import REPO, free_port


def test_the_ceiling_server_answers_a_pivot_request_with_its_fixed_flow() -> None:
    port = free_port(start=18680)
    process = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "pivot.py"), "--serve-without-runs", str(port)],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None and "serving" in process.stdout.readline()
        answer = httpx.get(f"http://127.0.0.1:{port}/pivot/a/f/secret?Caller-ID-Name=Ann")
        assert answer.status_code == 200 and answer.json() == {"module": "hangup", "data": {}}
        refused = httpx.get(f"http://127.0.0.1:{port}/pivot/a/f/other?Caller-ID-Name=Ann")
        assert refused.status_code == 404
    finally:
        process.terminate()
        process.wait(10)


def test_the_binding_rates_script_measures_each_step_it_names(tmp_path: Path) -> None:
    bodies = {
        "table": "var t = {}; for (var i = 0; i < 100; i++) t['k' + i] = i; "
                 "return {module: 'hangup', data: {}};",
        "echo": "return {module: 'tts', data: {text: call['Caller-ID-Number']}};",
    }  # fmt: skip
    (tmp_path / "bodies.json").write_text(json.dumps(bodies))
    printed = subprocess.run(
        [sys.executable, "-I", str(REPO / "bench" / "binding_rates.py"),
         str(tmp_path / "bodies.json"), '{"Caller-ID-Number": "+1"}', "0.05"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rates = json.loads(printed)
    assert set(rates) == {"bare", "prelude", "isolated", "run"}
    assert set(rates["isolated"]) == set(rates["run"]) == set(bodies)
    # Steps far apart in cost come out in their order (a context with the prelude is twice a
    # bare one; a run in a new context, many runs in one): measured the other way round, the
    # script would be timing something else.
    assert rates["prelude"] < rates["bare"]
    for name in bodies:
        assert 0 < rates["isolated"][name] < rates["run"][name]
