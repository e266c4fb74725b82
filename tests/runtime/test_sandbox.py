"""The hostile-code suite: every attack is stopped within its limit and the next run works."""

from __future__ import annotations

import time

import pytest

from backend.runtime.sandbox import Limits, Sandbox

HEALTHY = "return {module:'hangup', data:{}};"


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(workers=2, limits=Limits(time_s=0.5)) as pool:
        yield pool


def _assert_healthy(sandbox: Sandbox) -> None:
    outcome = sandbox.run(HEALTHY, {})
    assert outcome.ok and outcome.result == {"module": "hangup", "data": {}}


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("while (true) {}", "timeout"),
        ("for (;;) { try { while (true) {} } catch (e) {} }", "timeout"),
        ("var a = []; while (true) { a.push('xxxxxxxxxxxxxxxx' + a.length); }", "out_of_memory"),
        ("var s = 'x'; while (true) { s = s + s; }", "out_of_memory"),
        ("function f(n) { return f(n + 1) + 1; } return f(0);", "stack_overflow"),
        ("return /^(a+)+$/.test('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab');", "timeout"),
        ("var s = 'x'; while (s.length < 3000000) s += s; return {big: s};", "bad_return"),
        ("var o = {}; o.self = o; return o;", "bad_return"),
        ("return function () {};", "bad_return"),
        ("return 'a string';", "bad_return"),
        ("", "bad_return"),
        ("throw new Error('boom');", "thrown"),
        ("return {a:", "syntax"),
        # Built-ins that loop without checking the time limit: only killing the worker stops them.
        ("var a = []; a.length = 4e9; return {i: a.indexOf(1)};", "timeout"),
        ("var a = []; for (var i = 0; i < 30000; i++) a = [a]; return {a: a};", "timeout"),
    ],
)
def test_hostile_code_is_stopped_with_a_clear_error(sandbox: Sandbox, body: str, kind: str) -> None:
    started = time.monotonic()
    outcome = sandbox.run(body, {})
    elapsed = time.monotonic() - started
    assert outcome.error is not None and outcome.error.kind == kind, outcome.error
    assert outcome.error.describe()
    assert elapsed < sandbox.limits.time_s + sandbox.limits.kill_grace_s + 2.0
    _assert_healthy(sandbox)


def test_state_does_not_leak_between_runs(sandbox: Sandbox) -> None:
    poison = (
        "globalThis.leaked = 42; Object.prototype.polluted = 'yes'; Array.prototype.push = null;"
        "JSON.stringify = function () { return '\"owned\"'; }; console.log = null; return {module:'hangup', data:{}};"
    )
    assert sandbox.run(poison, {}).ok
    for _ in range(4):  # whichever worker comes next
        probe = sandbox.run(
            "console.log('still here'); return {leaked: typeof leaked, polluted: ({}).polluted === undefined, push: typeof [].push};",
            {},
        )
        assert probe.result == {"leaked": "undefined", "polluted": True, "push": "function"}
        assert probe.logs == [("log", "still here")]


def test_no_host_objects_are_reachable(sandbox: Sandbox) -> None:
    probe = sandbox.run(
        "var names = Object.getOwnPropertyNames(globalThis);"
        "var host = ['std','os','print','require','process','fetch','setTimeout','XMLHttpRequest','scriptArgs','Deno','Bun'];"
        "return {found: host.filter(function (n) { return names.indexOf(n) !== -1 || typeof globalThis[n] !== 'undefined'; })};",
        {},
    )
    assert probe.ok and probe.result == {"found": []}


def test_console_levels_are_captured(sandbox: Sandbox) -> None:
    outcome = sandbox.run(
        "console.info('i'); console.warn({a: 1}); console.error('e', 2); return {module:'hangup'};",
        {},
    )
    assert outcome.logs == [("info", "i"), ("warn", '{"a":1}'), ("error", "e 2")]


def test_errors_carry_the_line_inside_the_body(sandbox: Sandbox) -> None:
    outcome = sandbox.run("var a = 1;\nvar b = 2;\nundefinedThing();", {})
    assert outcome.error.kind == "thrown" and outcome.error.line == 3
    assert "undefinedThing" in outcome.error.message
    assert outcome.error.stack == "    at the function body (line 3)"  # no kfn frames


def test_a_stack_shows_the_users_frames_only_with_their_lines(sandbox: Sandbox) -> None:
    # A user function named like kfn's old wrapper (`run`) is the user's, and kept.
    body = "function run() {\n  return JSON.parse('{');\n}\nreturn run();"
    outcome = sandbox.run(body, {})
    assert outcome.error.kind == "thrown" and outcome.error.line == 2  # where it threw
    frames = outcome.error.stack.splitlines()
    assert frames[0].strip() == "at parse (native)"
    assert frames[1].strip() == "at run (line 2)"
    assert frames[-1].strip() == "at the function body (line 4)"
    assert "<input>" not in outcome.error.stack and "__kfn" not in outcome.error.stack


def test_the_test_clock_pins_date(sandbox: Sandbox) -> None:
    outcome = sandbox.run(
        "return {now: new Date().toISOString(), ms: Date.now(), other: new Date(0).getTime()};",
        {},
        now_ms=1_700_000_000_000,
    )
    assert outcome.result == {
        "now": "2023-11-14T22:13:20.000Z",
        "ms": 1_700_000_000_000,
        "other": 0,
    }


def test_one_worker_pins_each_run_to_its_own_clock_or_none() -> None:
    """The test clock goes into a worker's next context ahead of time, after a pinned run: a
    run that pins no clock must still get the real one, and each pinned run its own time."""
    import time

    body = "return {module: 'hangup', data: {ms: Date.now(), iso: new Date().toISOString()}};"
    with Sandbox(workers=1) as pool:
        seen = []
        for now_ms in (1_700_000_000_000, None, 1_600_000_000_000, 1_600_000_000_000, None):
            outcome = pool.run(body, {}, now_ms=now_ms)
            assert outcome.ok, outcome.error
            seen.append(outcome.result["data"]["ms"])
        real = time.time() * 1000
    assert seen[0] == 1_700_000_000_000
    assert seen[2] == seen[3] == 1_600_000_000_000
    assert abs(seen[1] - real) < 60_000 and abs(seen[4] - real) < 60_000  # the real clock


def test_a_run_can_be_cancelled(sandbox: Sandbox) -> None:
    import threading

    cancel = threading.Event()
    threading.Timer(0.1, cancel.set).start()
    outcome = sandbox.run("while (true) {}", {}, limits=Limits(time_s=5.0), cancel=cancel)
    assert outcome.error.kind == "cancelled"
    _assert_healthy(sandbox)


def test_a_crashed_worker_is_reported_and_replaced() -> None:
    with Sandbox(workers=1) as pool:
        assert pool.run(HEALTHY, {}).ok
        worker = pool._idle.get()
        worker.process.kill()  # as if the kernel's OOM killer took it
        worker.process.wait()
        pool._idle.put(worker)
        crashed = pool.run(HEALTHY, {})
        assert crashed.error is not None and crashed.error.kind == "crashed"
        assert "restarted" in crashed.error.message and pool.replacements == 1
        _assert_healthy(pool)


def test_a_thrown_null_is_reported_as_what_quickjs_means_by_it(sandbox: Sandbox) -> None:
    outcome = sandbox.run("throw null;", {})
    assert outcome.error.kind == "out_of_memory" and "(or threw null)" in outcome.error.message


def test_a_repeated_body_runs_in_a_fresh_context_each_time() -> None:
    # The worker compiles the last body and parses the last call into the next context ahead
    # of time; that must not let any state through: each run starts from a context no run
    # has touched, with a call object no run has touched.
    body = (
        "globalThis.count = (globalThis.count || 0) + 1;"
        "Object.prototype.leak = 'x';"
        "var marked = call.mark === 'x'; call.mark = 'x'; call.From = 'changed';"
        "return {module: 'hangup', data: {count: count, leaked: ({}).leak === 'x' && count > 1,"
        " marked: marked}};"
    )
    with Sandbox(workers=1) as sandbox:
        results = [sandbox.run(body, {"From": "1000"}).result["data"] for _ in range(3)]
        assert results == [{"count": 1, "leaked": False, "marked": False}] * 3
        broken = sandbox.run("return {", {})
        assert broken.error is not None and broken.error.kind == "syntax"
        again = sandbox.run("return {", {})  # not prepared after a syntax error: same answer
        assert again.error is not None and again.error.kind == "syntax"
        assert sandbox.run(body, {}).result["data"]["count"] == 1
        echo = "return {module: 'hangup', data: {from: call.From}};"
        for caller in ("1000", "1000", "2000", "2000"):  # a new call is not the prepared one
            assert sandbox.run(echo, {"From": caller}).result["data"] == {"from": caller}


@pytest.mark.parametrize("depth", [300, 900, 5000])
def test_a_deeply_nested_return_value_is_refused_without_harm(depth: int) -> None:
    # Python's JSON parser and everything after it recurse: such a value must stop here, and
    # the worker (which parses the reply's error part only) must survive it.
    with Sandbox(workers=1) as pool:
        body = f"var a = []; for (var i = 0; i < {depth}; i++) a = [a]; return {{a: a}};"
        outcome = pool.run(body, {})
        assert outcome.error is not None and outcome.error.kind == "bad_return"
        assert "nested more than 200 levels" in outcome.error.message
        _assert_healthy(pool)
        assert pool.replacements == 0


def test_a_worker_that_cannot_start_is_reported(tmp_path, monkeypatch) -> None:
    # E.g. quickjs missing from the interpreter the worker runs under: the run says the
    # sandbox crashed instead of hanging or raising.
    from backend.runtime import sandbox as sandbox_module

    broken = tmp_path / "broken_worker.py"
    broken.write_text("import sys\nsys.stdout.write('not the ready line')\n")
    monkeypatch.setattr(sandbox_module, "WORKER_SCRIPT", broken)
    with Sandbox(workers=1) as pool:
        outcome = pool.run(HEALTHY, {})
        assert outcome.error is not None and outcome.error.kind == "crashed"
        assert "did not start" in outcome.error.message and pool.replacements == 1


def test_a_body_and_result_larger_than_a_pipe_read_arrive_whole(sandbox: Sandbox) -> None:
    # Messages over 64 KiB take several reads on both sides of the pipe.
    padding = "// " + "x" * 200_000 + "\n"
    body = padding + "return {module: 'tts', data: {text: call.big.slice(-5)}, pad: call.big};"
    big = "y" * 150_000 + "tail!"
    outcome = sandbox.run(body, {"big": big})
    assert outcome.ok and outcome.result["data"]["text"] == "tail!"
    assert outcome.result["pad"] == big
