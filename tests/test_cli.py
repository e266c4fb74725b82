"""The command line as a user runs it: exit codes, output, accounts."""

from __future__ import annotations

import json

from tests.conftest import REPO, kfn

SAMPLES = REPO / "samples"


def test_run_prints_the_flow_and_verdict(kfn_env) -> None:
    out = kfn(
        "run",
        str(SAMPLES / "functions/greeting_by_name.js"),
        "--call",
        str(SAMPLES / "calls/known_caller.json"),
        env=kfn_env,
    )
    assert out.returncode == 0, out.stderr
    assert "Hello Alice" in out.stdout and "valid: KAZOO would branch" in out.stdout


def test_run_json_and_failure_exit_code(kfn_env, tmp_path) -> None:
    bad = tmp_path / "bad.js"
    bad.write_text("return {'action':'tts', 'data':{'text':'hi'}};")
    out = kfn(
        "run", str(bad), "--call", str(SAMPLES / "calls/known_caller.json"), "--json", env=kfn_env
    )
    assert out.returncode == 1
    result = json.loads(out.stdout)
    assert set(result) >= {"result", "valid", "errors", "logs", "duration_ms", "error"}
    assert result["valid"] is False and "module" in result["errors"]


def test_run_usage_errors_exit_2(kfn_env, tmp_path) -> None:
    broken = tmp_path / "call.json"
    broken.write_text("{not json")
    out = kfn("run", str(SAMPLES / "functions/day_of_week.js"), "--call", str(broken), env=kfn_env)
    assert out.returncode == 2 and "not valid JSON" in out.stderr
    missing = kfn(
        "run", "nothing.js", "--call", str(SAMPLES / "calls/known_caller.json"), env=kfn_env
    )
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_check_reports_es5_findings(kfn_env, tmp_path) -> None:
    modern = tmp_path / "modern.js"
    modern.write_text(
        "const name = call['Caller-ID-Name'];\nreturn {module: 'tts', data: {text: `hi ${name}`}};"
    )
    out = kfn("check", str(modern), str(SAMPLES / "functions/menu_by_digits.js"), env=kfn_env)
    assert out.returncode == 1
    # KAZOO's function module runs ES5: ES2015+ is an error there, and never "ok".
    assert "modern.js:1:1: error: 'const' declaration is not ES5" in out.stdout
    assert "modern.js:2:37: error: template literal" in out.stdout
    assert "modern.js: fails on KAZOO's function module" in out.stdout
    assert "modern.js: ok" not in out.stdout
    assert "menu_by_digits.js: ok" in out.stdout
    clean = kfn("check", str(SAMPLES / "functions/menu_by_digits.js"), env=kfn_env)
    assert clean.returncode == 0
    # For a Pivot runtime (QuickJS) the same code is fine: warnings, "ok", exit 0.
    pivot = kfn("check", str(modern), "--target", "pivot", env=kfn_env)
    assert pivot.returncode == 0, pivot.stdout
    assert "modern.js:1:1: warning:" in pivot.stdout and "modern.js: ok" in pivot.stdout


def test_run_check_and_simulate_agree_on_es2015_code(kfn_env, tmp_path) -> None:
    functions = tmp_path / "functions"
    functions.mkdir()
    modern = functions / "modern.js"
    modern.write_text("let text = 'hi';\nreturn {module: 'tts', data: {text: text}};")
    call = str(SAMPLES / "calls/known_caller.json")
    flow = tmp_path / "flow.json"
    flow.write_text(json.dumps({"flow": {"module": "function", "data": {"id": "modern"},
                                         "children": {"_": {"module": "hangup"}}}}))  # fmt: skip
    walk = ("simulate", str(flow), "--call", call, "--functions", str(functions), "--json")
    verdicts = {}
    for target in ("function", "pivot"):
        ran = kfn("run", str(modern), "--call", call, "--target", target, env=kfn_env)
        checked = kfn("check", str(modern), "--target", target, env=kfn_env)
        walked = kfn(*walk, "--target", target, env=kfn_env)
        steps = json.loads(walked.stdout)["steps"]
        verdicts[target] = (ran.returncode, checked.returncode, walked.returncode,
                            [step["module"] for step in steps])  # fmt: skip
    # On KAZOO's function module the function fails: the walk continues to `_` (hangup).
    assert verdicts["function"] == (1, 1, 1, ["function", "hangup"])
    assert verdicts["pivot"] == (0, 0, 0, ["function", "tts", "hangup"])  # `_` resumed


def test_simulate_prints_the_path(kfn_env) -> None:
    out = kfn(
        "simulate",
        str(SAMPLES / "callflows/main_number.json"),
        "--call",
        str(SAMPLES / "calls/after_hours.json"),
        env=kfn_env,
    )
    assert out.returncode == 0, out.stderr
    assert "[branched] function" in out.stdout and "[stopped] voicemail" in out.stdout
    assert "resumed: flow ▸ _" in out.stdout and "[ended] hangup" in out.stdout


def test_simulate_dials_a_number_and_prints_json_steps(kfn_env, tmp_path) -> None:
    call = json.loads((SAMPLES / "calls/known_caller.json").read_text())
    call["kfn"]["scenario"] = {"digits": ["1"], "answer": ["USER_BUSY"]}
    call_file = tmp_path / "call.json"
    call_file.write_text(json.dumps(call))
    out = kfn("simulate", "2102", "--call", str(call_file), "--json", env=kfn_env)
    assert out.returncode == 0, out.stderr
    steps = json.loads(out.stdout)["steps"]
    assert [(s["module"], s["child"]) for s in steps] == [
        ("menu", "1"),
        ("callflow", None),
        ("user", "USER_BUSY"),
        ("tts", "_"),
        ("voicemail", None),
    ]


def test_simulate_all_paths_lists_scenarios_and_dead_branches(kfn_env) -> None:
    out = kfn(
        "simulate",
        str(SAMPLES / "callflows/sales.json"),
        "--call",
        str(SAMPLES / "calls/known_caller.json"),
        "--all-paths",
        env=kfn_env,
    )
    assert out.returncode == 0, out.stderr
    assert ": 4 path(s)" in out.stdout
    assert '"answer": ["NO_ANSWER", "NO_ANSWER", "NO_ROUTE_DESTINATION"]' in out.stdout
    assert "dead branch: flow ▸ _: _ (KAZOO can never take it)" in out.stdout


def test_simulate_exit_codes(kfn_env, tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"kfn": {"scenario": {"answer": ["MAYBE"]}}}))
    usage = kfn("simulate", "2000", "--call", str(bad), env=kfn_env)
    assert usage.returncode == 2 and "unknown value 'MAYBE'" in usage.stderr
    nowhere = kfn("simulate", "5550000", "--call", str(SAMPLES / "calls/known_caller.json"))
    assert nowhere.returncode == 2 and "no callflow answers 5550000" in nowhere.stderr
    functions = tmp_path / "functions"
    functions.mkdir()
    (functions / "boom.js").write_text("throw new Error('boom');")
    flow = tmp_path / "flow.json"
    flow.write_text(json.dumps({"flow": {"module": "function", "data": {"id": "boom"}}}))
    failed = kfn(
        "simulate", str(flow), "--call", str(SAMPLES / "calls/known_caller.json"),
        "--functions", str(functions), env=kfn_env,
    )  # fmt: skip
    assert failed.returncode == 1 and "boom" in failed.stdout


def test_accounts_create_and_list(kfn_env) -> None:
    made = kfn(
        "accounts",
        "create",
        "Beta Co",
        "--username",
        "bob",
        "--password",
        "pw",
        "--json",
        env=kfn_env,
    )
    assert made.returncode == 0, made.stderr
    account = json.loads(made.stdout)
    assert (
        len(account["account_id"]) == 32
        and len(account["api_key"]) == 64
        and account["username"] == "bob"
    )
    listed = kfn("accounts", "list", "--json", env=kfn_env)
    names = [row["name"] for row in json.loads(listed.stdout)]
    assert names == ["local", "Beta Co"]
    half = kfn("accounts", "create", "X", "--password", "only", env=kfn_env)
    assert half.returncode == 2 and "both" in half.stderr


def test_accounts_create_takes_the_password_from_stdin_never_argv(kfn_env) -> None:
    from backend.accounts import kazoo_credentials
    from backend.api.server import Backend
    from backend.paths import data_dir

    no_password = kfn("accounts", "create", "X", "--username", "carol", env=kfn_env)
    assert no_password.returncode == 2 and "--password-stdin" in no_password.stderr
    empty = kfn("accounts", "create", "X", "--username", "carol", "--password-stdin", env=kfn_env)
    assert empty.returncode == 2 and "empty first line" in empty.stderr
    made = kfn(
        "accounts",
        "create",
        "Gamma",
        "--username",
        "carol",
        "--password-stdin",
        "--json",
        env=kfn_env,
        input="p@ss word\nignored\n",
    )
    assert made.returncode == 0, made.stderr
    backend = Backend.open(data_dir(kfn_env["KFN_DATA_DIR"]))
    try:
        found = backend.accounts.authenticate_user(
            kazoo_credentials("carol", "p@ss word"), "md5", "Gamma"
        )
        assert found is not None and found[0] == json.loads(made.stdout)["account_id"]
        assert [
            name for _, a in backend.accounts.list_accounts() if (name := a["name"]) == "X"
        ] == []
    finally:
        backend.close()


def test_run_a_stored_function_and_a_function_document(kfn_env, tmp_path) -> None:
    from backend.api.server import Backend
    from backend.paths import data_dir

    backend = Backend.open(data_dir(kfn_env["KFN_DATA_DIR"]))
    account = backend.accounts.default_account_id()
    doc_id, _ = backend.functions.create(
        account, {"name": "s", "function_js": "return {module:'hangup', data:{}};"}
    )
    backend.close()
    call = str(SAMPLES / "calls/known_caller.json")
    stored = kfn("run", doc_id, "--call", call, "--json", env=kfn_env)
    assert stored.returncode == 0 and json.loads(stored.stdout)["result"]["module"] == "hangup"
    document = tmp_path / "fn.json"
    document.write_text(
        json.dumps({"name": "d", "function_js": "return {module:'noop', data:{}};"})
    )
    assert json.loads(kfn("run", str(document), "--call", call, "--json", env=kfn_env).stdout)[
        "valid"
    ]
    unknown = kfn("run", "no-such-id", "--call", call, env=kfn_env)
    assert unknown.returncode == 2 and "no file and no stored function" in unknown.stderr


def test_a_bad_test_clock_is_explained(kfn_env, tmp_path) -> None:
    call = tmp_path / "call.json"
    call.write_text(json.dumps({"Caller-ID-Number": "1", "kfn": {"now": "next tuesday"}}))
    out = kfn("run", str(SAMPLES / "functions/day_of_week.js"), "--call", str(call), env=kfn_env)
    assert out.returncode == 1 and "ISO 8601" in out.stdout


def test_the_app_refuses_a_broken_config_before_taking_the_terminal(kfn_env, tmp_path) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "config.toml").write_text("theme = [unclosed\n")
    out = kfn(env={**kfn_env, "KFN_CONFIG_DIR": str(config_dir)})
    assert out.returncode == 2
    assert "config.toml" in out.stderr and "fix or delete it" in out.stderr


def test_the_app_names_a_missing_profile(kfn_env, tmp_path) -> None:
    out = kfn("--profile", "prod", env={**kfn_env, "KFN_CONFIG_DIR": str(tmp_path / "config")})
    assert out.returncode == 2 and "no profile 'prod'" in out.stderr


def test_the_app_refuses_a_pivot_instance_that_is_no_url_or_has_no_kazoo(kfn_env, tmp_path) -> None:
    env = {**kfn_env, "KFN_CONFIG_DIR": str(tmp_path / "config")}
    not_a_url = kfn("--server", "http://127.0.0.1:9", "--pivot-instance", "pv-1:8010", env=env)
    assert not_a_url.returncode == 2 and "not 'pv-1:8010'" in not_a_url.stderr
    embedded = kfn("--pivot-instance", "http://pv-1:8010", env=env)
    assert embedded.returncode == 2 and "for a remote KAZOO" in embedded.stderr


def test_the_app_says_when_kfn_serve_holds_its_data_dir(kfn_env, tmp_path) -> None:
    from tests.conftest import free_port, start_serve

    data_dir = tmp_path / "data"
    server, _ = start_serve(data_dir, free_port(start=18700), "--quiet")
    try:
        out = kfn("--data-dir", str(data_dir), env=kfn_env)
        assert out.returncode == 1
        assert f"pid {server.pid}" in out.stderr and "in use by another kfn" in out.stderr
    finally:
        server.terminate()
        server.wait(10)


def test_profiles_list_and_forget_delete_the_kept_key(kfn_env, tmp_path) -> None:
    from tui.config import Config
    from tui.profiles import Profile, key_file, save_api_key

    config_dir = tmp_path / "config"
    env = {**kfn_env, "KFN_CONFIG_DIR": str(config_dir)}
    empty = kfn("profiles", "list", env=env)
    assert empty.returncode == 0 and "no saved servers" in empty.stdout
    config = Config(path=config_dir / "config.toml")
    config.profiles["prod"] = Profile("prod", "https://kazoo.example:8443", "api_key").to_config()
    config.profiles["lab"] = Profile("lab", "http://lab:8000", "user", "acme", "ops").to_config()
    config.server = "prod"
    config.save()
    save_api_key(config_dir, "prod", "k" * 64)
    listed = kfn("profiles", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "prod\thttps://kazoo.example:8443\tapi_key  (API key kept)" in listed.stdout
    assert "lab\thttp://lab:8000\tuser\n" in listed.stdout  # no key kept for a user login
    forgot = kfn("profiles", "forget", "prod", env=env)
    assert forgot.returncode == 0, forgot.stderr
    assert not key_file(config_dir, "prod").exists()
    after = Config.load(config_dir)
    assert set(after.profiles) == {"lab"} and after.server == "local"
    again = kfn("profiles", "forget", "prod", env=env)
    assert again.returncode == 2 and "no profile 'prod'" in again.stderr


def test_the_data_dir_may_be_given_before_or_after_the_subcommand() -> None:
    from tui.cli import build_parser

    parser = build_parser()
    for command in (["serve"], ["pivot", "--server", "http://kfn:8000"], ["accounts", "list"]):
        after = parser.parse_args([*command, "--data-dir", "/srv/after"])
        before = parser.parse_args(["--data-dir", "/srv/before", *command])
        assert (after.data_dir, before.data_dir) == ("/srv/after", "/srv/before"), command
