"""The real `kfn` command line, as a team's repository uses it: pull the data dir's functions,
keep test cases beside them, break one, see `kfn test` fail (and its JUnit say so), fix or
`--update`, then diff and push."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from backend.api.server import Backend
from tests.conftest import free_port, kfn, start_serve

BODY = (
    "var vip = call['Caller-ID-Number'] === '+15550001';\n"
    "return {module: 'tts', data: {text: vip ? 'welcome back' : 'hello'}};\n"
)


def _seed(data: Path) -> str:
    backend = Backend.open(data)
    try:
        backend.remember_local_api_key()  # as `kfn serve` does on a first start
        account = backend.accounts.default_account_id()
        assert account is not None
        doc_id, _doc = backend.functions.create(account, {"name": "Greeter", "function_js": BODY})
        return doc_id
    finally:
        backend.close()


def _junit(path: Path) -> list[tuple[str, str, str | None]]:
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    return [
        (case.get("classname", ""), case.get("name", ""),
         None if (failure := case.find("failure")) is None else failure.get("message"))
        for case in root.iter("testcase")
    ]  # fmt: skip


def test_pull_test_break_update_diff_push(tmp_path: Path) -> None:
    data, repo = tmp_path / "data", tmp_path / "repo"
    function_id = _seed(data)
    pulled = kfn("pull", str(repo), "--data-dir", str(data))
    assert pulled.returncode == 0, pulled.stderr
    assert (repo / "greeter.js").read_text() == BODY
    cases = {"cases": [
        {"name": "a VIP", "call": {"Caller-ID-Number": "+15550001"},
         "expect": {"valid": True, "flow": {"module": "tts", "data": {"text": "welcome back"}}}},
        {"name": "anyone", "call": {"Caller-ID-Number": "+15559999"},
         "expect": {"valid": True, "flow": {"data": {"text": "hello"}}}},
    ]}  # fmt: skip
    (repo / "greeter.test.json").write_text(json.dumps(cases))
    passing = kfn("test", str(repo), "--junit", str(tmp_path / "ok.xml"))
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "2 passed, 0 failed" in passing.stdout
    assert _junit(tmp_path / "ok.xml") == [("greeter", "a VIP", None), ("greeter", "anyone", None)]

    (repo / "greeter.js").write_text(BODY.replace("'welcome back'", "'hi again'"))
    failing = kfn("test", str(repo), "--junit", str(tmp_path / "fail.xml"))
    assert failing.returncode == 1
    assert 'flow.data.text: expected "welcome back", got "hi again"' in failing.stdout
    assert _junit(tmp_path / "fail.xml") == [
        ("greeter", "a VIP", 'flow.data.text: expected "welcome back", got "hi again"'),
        ("greeter", "anyone", None),
    ]
    as_json = json.loads(kfn("test", str(repo), "--json").stdout)
    assert (as_json["passed"], as_json["failed"]) == (1, 1)

    assert kfn("test", str(repo), "--update").returncode == 0
    assert kfn("test", str(repo)).returncode == 0  # the new behaviour is now the expected one
    updated = json.loads((repo / "greeter.test.json").read_text())["cases"][0]["expect"]
    assert updated["flow"]["data"]["text"] == "hi again"

    differs = kfn("diff", str(repo), "--data-dir", str(data))
    assert differs.returncode == 1 and "local    greeter.js" in differs.stdout
    assert "+return {module: 'tts', data: {text: vip ? 'hi again'" in differs.stdout
    assert kfn("push", str(repo), "--dry-run", "--data-dir", str(data)).returncode == 0
    port = free_port(start=18750)
    server, _lines = start_serve(data, port, "--quiet")
    try:  # the pushed functions are what a server has: --server runs the cases against those
        api_key = (data / "local-api-key").read_text().strip()
        remote = ["--server", f"http://127.0.0.1:{port}", "--api-key", api_key]
        before = kfn("test", str(repo), *remote)
        assert before.returncode == 1, before.stdout  # the server still says 'welcome back'
        held = kfn("diff", str(repo), "--data-dir", str(data))  # the kfn that holds it answers
        assert held.returncode == 1 and "local    greeter.js" in held.stdout, held.stderr
        pushed = kfn("push", str(repo), *remote)
        assert pushed.returncode == 0 and "pushed greeter.js" in pushed.stdout
        after = kfn("test", str(repo), *remote)
        assert after.returncode == 0, after.stdout
    finally:
        server.terminate()
        server.wait(10)
    assert kfn("diff", str(repo), "--data-dir", str(data)).returncode == 0
    backend = Backend.open(data)
    try:
        assert "'hi again'" in backend.store.get("functions", function_id)["function_js"]
    finally:
        backend.close()


def test_bad_test_files_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "x.test.json").write_text('{"cases": [{"call": []}]}')
    bad = kfn("test", str(tmp_path))
    assert bad.returncode == 2 and "call and expect must be objects" in bad.stderr
    (tmp_path / "x.test.json").write_text('{"cases": []}')
    missing = kfn("test", str(tmp_path))
    assert missing.returncode == 2 and "no x.js beside it" in missing.stderr
    nothing = kfn("test", str(tmp_path / "nothing"))
    assert nothing.returncode == 2 and "nothing does not exist" in nothing.stderr
    (tmp_path / "x.js").write_text("return {};")
    not_cases = kfn("test", str(tmp_path / "x.js"))
    assert not_cases.returncode == 2 and "give a directory or a *.test.json" in not_cases.stderr
    (tmp_path / "x.test.json").unlink()
    none = kfn("test", str(tmp_path))
    # Says where it looked and how a function gets its cases.
    assert none.returncode == 2 and f"no *.test.json files found in {tmp_path}" in none.stderr
    assert "NAME.test.json beside it" in none.stderr
