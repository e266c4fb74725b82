"""`kfn pivot` in front of a KAZOO: URL secrets derived from a signing key file (KAZOO keeps
none), rotated by adding a key on top, checked against the KAZOO stand-in over HTTP."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest

from backend.client import ApiKeyCredentials, KazooClient
from backend.pivot.invocations import InvocationLog
from backend.pivot.service import PivotService
from backend.pivot.signing import (
    GENERATION_FIELD,
    SigningKeyError,
    SigningKeyFile,
    SigningKeys,
    create_key_file,
    generation_of,
)
from backend.pivot.upstream import UpstreamSource
from tests.conftest import FakeServer, free_port, kfn, start_pivot, wait_until, wrong

KEY_A, KEY_B = "a" * 43, "b" * 43
BODY = "return {module: 'tts', data: {text: 'hi ' + call['Caller-ID-Name']}};"


def _write_keys(path: Path, *keys: str) -> None:
    staged = path.with_suffix(".new")  # replaced whole, as an editor saves
    staged.write_text("# keys\n" + "".join(f"{key}\n" for key in keys))
    os.replace(staged, path)


def test_a_secret_is_bound_to_its_account_function_and_key() -> None:
    keys = SigningKeys.parse(f"{KEY_A}\n", "test")
    secret = keys.secret("acct", "fn")
    assert len(secret) == 32 and secret == SigningKeys.parse(KEY_A, "again").secret("acct", "fn")
    assert secret != keys.secret("acct", "fn2") and secret != keys.secret("acct2", "fn")
    assert secret != SigningKeys.parse(KEY_B, "other").secret("acct", "fn")
    both = SigningKeys.parse(f"# new on top\n{KEY_B}\n\n{KEY_A}\n", "test")
    assert both.secrets("acct", "fn") == (both.secret("acct", "fn"), secret)
    rotated = keys.secret("acct", "fn", generation=1)
    assert rotated != secret and rotated != keys.secret("acct", "fn", generation=2)
    assert keys.secret("acct", "fn", generation=0) == secret


@pytest.mark.parametrize(
    ("value", "generation"), [(None, 0), (3, 3), (0, 0), (-1, 0), ("2", 0), (True, 0)]
)
def test_only_a_positive_whole_number_is_a_generation(value: object, generation: int) -> None:
    data = {} if value is None else {GENERATION_FIELD: value}
    assert generation_of(data) == generation


@pytest.mark.parametrize(
    ("text", "says"),
    [("", "holds no signing key"), ("# only a comment\n", "holds no signing key"),
     ("short\n", "shorter than 32 characters")],
)  # fmt: skip
def test_an_unusable_key_file_is_refused_with_what_to_do(text: str, says: str) -> None:
    with pytest.raises(SigningKeyError, match=says):
        SigningKeys.parse(text, "keys.txt")


def test_a_new_key_file_is_private_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "pivot.key"
    made = create_key_file(path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert SigningKeyFile(path).current() == made
    with pytest.raises(SigningKeyError, match="cannot create"):
        create_key_file(path)
    assert SigningKeyFile(path).current() == made


def test_the_key_file_is_read_again_when_it_changes_and_a_broken_edit_keeps_the_old_keys(
    tmp_path: Path,
) -> None:
    path = tmp_path / "pivot.key"
    _write_keys(path, KEY_A)
    keys = SigningKeyFile(path)
    assert keys.current().keys == (KEY_A.encode(),)
    _write_keys(path, KEY_B, KEY_A)
    assert keys.current().keys == (KEY_B.encode(), KEY_A.encode())
    path.write_text("half an edit\n")
    assert keys.current().keys == (KEY_B.encode(), KEY_A.encode())
    path.unlink()  # gone (an editor's save in two steps, a mount lost): the keys stay
    assert keys.current().keys == (KEY_B.encode(), KEY_A.encode())


async def test_a_rotation_that_meets_a_concurrent_change_saves_nothing_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from backend.client import ConflictError, Revisioned
    from tui.pivot_cli import EXIT_FAILED, describe_signed

    _write_keys(tmp_path / "pivot.key", KEY_A)

    class ChangedMeanwhile:
        async def account_id(self) -> str:
            return "a" * 32

        async def get_function(self, account_id: str, function_id: str) -> Revisioned:
            return Revisioned({"name": "f", "function_js": BODY}, "1-a")

        async def save_function(self, *args: object) -> Revisioned:
            raise ConflictError("412")

        async def aclose(self) -> None:
            pass

    done = await describe_signed(
        ChangedMeanwhile(), SigningKeyFile(tmp_path / "pivot.key"), "f" * 32,  # type: ignore[arg-type]
        "https://pv.example", rotate=True,
    )  # fmt: skip
    said = capsys.readouterr()
    assert done == EXIT_FAILED and "changed while it was rotated" in said.err
    assert said.out == ""  # no URL printed for a rotation that did not happen


async def test_in_front_of_kazoo_a_rotation_moves_urls_without_refusing_a_call(
    fake_kazoo: FakeServer, tmp_path: Path
) -> None:
    fake = fake_kazoo.fake
    fake.functions["f" * 32] = {"name": "hello", "function_js": BODY, "enabled": True,
                                "_rev": "1-" + "0" * 32}  # fmt: skip
    key_path = tmp_path / "pivot.key"
    _write_keys(key_path, KEY_A)
    client = KazooClient(fake_kazoo.url, ApiKeyCredentials(fake.api_key), timeout=5)
    source = UpstreamSource(client, ttl=0, signing=SigningKeyFile(key_path))
    service = PivotService(source, InvocationLog(None))
    account, function = fake.account_id, "f" * 32

    async def status(secret: str) -> int:
        path = f"/pivot/{account}/{function}/{secret}"
        return (await service.answer("GET", path, "Caller-ID-Name=Ann", "", b"")).status

    try:
        old = SigningKeys.parse(KEY_A, "a").secret(account, function)
        new = SigningKeys.parse(KEY_B, "b").secret(account, function)
        answer = await service.answer(
            "GET", f"/pivot/{account}/{function}/{old}", "Caller-ID-Name=Ann", "", b""
        )
        assert answer.status == 200 and answer.body["data"]["text"] == "hi Ann"
        assert await status(wrong(old)) == 404 and await status(new) == 404
        assert source.revalidated >= 1  # KAZOO's 304: the function was not read again
        _write_keys(key_path, KEY_B, KEY_A)  # step 1: the new key on top
        assert (await status(old), await status(new)) == (200, 200)
        _write_keys(key_path, KEY_B)  # step 2, once KAZOO's nodes use the new URLs
        assert (await status(old), await status(new)) == (404, 200)
        rotated = kfn("pivot", "--server", fake_kazoo.url, "--api-key", fake.api_key,
                      "--signing-key", str(key_path), "--rotate", function,
                      "--public-url", "https://pv.example")  # fmt: skip
        assert rotated.returncode == 0 and "rotated" in rotated.stderr, rotated.stderr
        assert fake.functions[function][GENERATION_FIELD] == 1
        third = SigningKeys.parse(KEY_B, "b").secret(account, function, generation=1)
        assert json.loads(rotated.stdout)["voice_url"].endswith(f"/{third}")
        assert (await status(new), await status(third)) == (404, 200)  # one function's URL
        fake.functions["f" * 32]["enabled"] = False
        fake.functions["f" * 32]["_rev"] = "9-" + "1" * 32
        assert await status(third) == 503  # disabled: KAZOO goes on to the node's `_`
    finally:
        service.close()
        await client.aclose()


def test_kfn_pivot_describes_and_serves_a_kazoo_function(
    fake_kazoo: FakeServer, tmp_path: Path
) -> None:
    fake = fake_kazoo.fake
    function = "e" * 32
    fake.functions[function] = {"name": "hello", "function_js": BODY, "enabled": True,
                                "_rev": "1-" + "0" * 32}  # fmt: skip
    key_path = tmp_path / "pivot.key"
    upstream = [
        "--server",
        fake_kazoo.url,
        "--api-key",
        fake.api_key,
        "--signing-key",
        str(key_path),
    ]
    missing = kfn("pivot", *upstream, "--describe", "0" * 32, "--public-url", "https://pv.example")
    assert missing.returncode == 1 and "bad identifier" in missing.stderr.lower(), missing.stderr
    assert "made a new Pivot signing key" in missing.stderr and key_path.exists()
    described = kfn(
        "pivot", *upstream, "--describe", function, "--public-url", "https://pv.example"
    )
    assert described.returncode == 0, described.stderr
    node = json.loads(described.stdout)["callflow_node"]
    assert node["module"] == "pivot" and node["data"]["req_format"] == "kazoo"
    voice_url = node["data"]["voice_url"]
    secret = SigningKeyFile(key_path).current().secret(fake.account_id, function)
    assert voice_url == f"https://pv.example/pivot/{fake.account_id}/{function}/{secret}"
    port = free_port(start=18660)
    process, said = start_pivot(tmp_path / "data", *upstream, "--port", str(port), "--quiet")
    calls = tmp_path / "data" / f"pivot-calls-{port}.json"  # the default: one file per port
    try:
        assert str(calls) in said
        local = voice_url.replace("https://pv.example", f"http://127.0.0.1:{port}")
        answer = httpx.get(f"{local}?Caller-ID-Name=Bo", timeout=10)
        assert answer.status_code == 200 and answer.json()["data"]["text"] == "hi Bo"
        assert httpx.get(wrong(local), timeout=10).status_code == 404
        wait_until(calls.exists, what="the calls kept in the data dir")
        assert "hi Bo" in calls.read_text()
    finally:
        process.terminate()
        process.wait(10)


def test_kfn_pivot_refuses_a_weak_key_and_warns_of_a_readable_one(
    fake_kazoo: FakeServer, tmp_path: Path
) -> None:
    fake = fake_kazoo.fake
    fake.functions["e" * 32] = {"name": "hello", "function_js": BODY, "_rev": "1-" + "0" * 32}
    key_path = tmp_path / "pivot.key"
    key_path.write_text("too-short\n")
    upstream = ["--server", fake_kazoo.url, "--api-key", fake.api_key, "--signing-key", str(key_path),
                "--describe", "e" * 32, "--public-url", "https://pv.example"]  # fmt: skip
    weak = kfn("pivot", *upstream)
    assert weak.returncode == 1 and "shorter than 32 characters" in weak.stderr
    assert fake.requests == []  # refused before anything was asked of the upstream
    _write_keys(key_path, KEY_A)
    key_path.chmod(0o644)
    readable = kfn("pivot", *upstream)
    assert readable.returncode == 0 and "chmod 600" in readable.stderr, readable.stderr


def test_describe_without_a_public_url_says_what_it_needs(tmp_path: Path) -> None:
    done = kfn("pivot", "--server", "http://127.0.0.1:9", "--api-key", "k",
               "--signing-key", str(tmp_path / "k"), "--describe", "f" * 32)  # fmt: skip
    assert done.returncode == 2 and "--public-url" in done.stderr


def test_kfn_pivot_in_front_of_kazoo_without_a_key_says_to_give_one(
    fake_kazoo: FakeServer,
) -> None:
    port = free_port(start=18690)
    done = kfn("pivot", "--server", fake_kazoo.url, "--api-key", fake_kazoo.fake.api_key,
               "--port", str(port))  # fmt: skip
    assert done.returncode == 2 and "keeps no Pivot URLs" in done.stderr, done.stderr
    assert "--signing-key" in done.stderr
