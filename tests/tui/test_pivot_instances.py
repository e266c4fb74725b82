"""The Live tab on a KAZOO reads the `kfn pivot` instances in front of it: their URL and node,
and every instance's calls merged, newest first; a dead instance is named and the others still
show. Real instances in front of the KAZOO stand-in, the real client."""

from __future__ import annotations

import httpx
import pytest

from backend.client import ApiError, ApiKeyCredentials, KazooClient
from tests.conftest import FakeServer, free_port
from tests.pivot.instances import FUNCTION, PUBLIC, running_instance, with_function
from tests.tui.conftest import Harness, ready, wait_for
from tui.config import Config
from tui.pivot_instances import PivotInstances, check_instance_url
from tui.profiles import Profile, ProfileError


async def call(url: str, name: str, call_id: str) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        answered = await http.get(url, params={"Caller-ID-Name": name, "Call-ID": call_id})
    assert answered.status_code == 200, answered.text


async def test_two_instances_calls_are_merged_newest_first_and_a_dead_one_is_named(
    fake_kazoo: FakeServer, tmp_path
) -> None:
    fake = fake_kazoo.fake
    with_function(fake)
    main = KazooClient(fake_kazoo.url, ApiKeyCredentials(fake.api_key), timeout=5)
    dead = f"http://127.0.0.1:{free_port(start=21700)}"
    async with (
        running_instance(fake_kazoo, tmp_path) as one,
        running_instance(fake_kazoo, tmp_path) as two,
    ):
        await call(f"{one.url}{one.voice_path(fake.account_id)}", "Ann", "c-1")
        await call(f"{two.url}{two.voice_path(fake.account_id)}", "Bo", "c-2")
        await call(f"{one.url}{one.voice_path(fake.account_id)}", "Cy", "c-3")
        instances = PivotInstances([one.url, two.url, dead], main)
        try:
            view = await instances.read(await main.account_id(), FUNCTION)
            logins = fake.logins
            fake.expire_tokens()  # the app's session expires: renewed once, through the app's
            again = await instances.read(fake.account_id, FUNCTION)
        finally:
            await instances.aclose()
            await main.aclose()
    assert [c["call_id"] for c in view.calls] == ["c-3", "c-2", "c-1"]
    assert [c["instance"] for c in view.calls] == [
        one.url.removeprefix("http://"),
        two.url.removeprefix("http://"),
        one.url.removeprefix("http://"),
    ]
    assert view.described["voice_url"] == f"{PUBLIC}{one.voice_path(fake.account_id)}"
    assert view.problems == [
        f"cannot connect to {dead}: connection refused (is the server running?)"
    ]
    assert (view.asked, view.answered) == (3, 2)
    assert [c["call_id"] for c in again.calls] == ["c-3", "c-2", "c-1"]
    # The app logged in once; after the expiry one more login served all three instances.
    assert main.login_info is not None and fake.logins == logins + 1 + 2  # + the instances'


async def test_instances_that_disagree_on_the_url_are_named_and_none_answering_is_an_error(
    fake_kazoo: FakeServer, tmp_path
) -> None:
    fake = fake_kazoo.fake
    with_function(fake)
    main = KazooClient(fake_kazoo.url, ApiKeyCredentials(fake.api_key), timeout=5)
    async with (
        running_instance(fake_kazoo, tmp_path) as one,
        running_instance(fake_kazoo, tmp_path, public_url="https://elsewhere.example") as two,
    ):
        instances = PivotInstances([one.url, two.url], main)
        try:
            view = await instances.read(await main.account_id(), FUNCTION)
        finally:
            await instances.aclose()
    dead = PivotInstances([f"http://127.0.0.1:{free_port(start=21750)}"], main)
    try:
        with pytest.raises(ApiError, match="connection refused"):
            await dead.read(fake.account_id, FUNCTION)
    finally:
        await dead.aclose()
        await main.aclose()
    [problem] = view.problems
    assert "gives another URL" in problem and "--signing-key" in problem


async def test_a_failing_kazoo_behind_the_instances_is_named_as_the_kazoo(
    fake_kazoo: FakeServer, tmp_path
) -> None:
    fake = fake_kazoo.fake
    with_function(fake)
    main = KazooClient(fake_kazoo.url, ApiKeyCredentials(fake.api_key), timeout=5)
    async with running_instance(fake_kazoo, tmp_path) as one:
        instances = PivotInstances([one.url], main)
        try:
            account_id = await main.account_id()
            fake.fault = 500  # its datastore is down: the instance cannot check the app's token
            with pytest.raises(ApiError) as failed:
                await instances.read(account_id, FUNCTION)
        finally:
            await instances.aclose()
            await main.aclose()
    assert str(failed.value).startswith(one.url.removeprefix("http://"))
    assert "cannot check the token with the KAZOO" in str(failed.value)
    assert "HTTP 500: datastore fault" in str(failed.value)


async def test_the_check_names_a_dead_instance_and_a_server_that_is_no_kfn_pivot(
    fake_kazoo: FakeServer, tmp_path
) -> None:
    main = KazooClient(fake_kazoo.url, ApiKeyCredentials(fake_kazoo.fake.api_key), timeout=5)
    dead = f"http://127.0.0.1:{free_port(start=21800)}"
    async with running_instance(fake_kazoo, tmp_path) as one:
        instances = PivotInstances([one.url, dead, fake_kazoo.url], main)
        try:
            problems = await instances.check()
        finally:
            await instances.aclose()
            await main.aclose()
    assert problems == [
        f"cannot connect to {dead}: connection refused (is the server running?)",
        f"{fake_kazoo.url.removeprefix('http://')} is not a kfn pivot",
    ]


async def test_an_instance_in_front_of_a_kfn_says_to_ask_that_kfn(fake_kazoo: FakeServer) -> None:
    from backend.api.pivot_http import PivotServer
    from backend.api.server import listen
    from backend.pivot.invocations import InvocationLog
    from backend.pivot.service import PivotService

    class Nowhere:
        async def find(self, account_id: str, function_id: str) -> None:
            return None

    server = PivotServer(PivotService(Nowhere(), InvocationLog(None)), listen("127.0.0.1", 0),
                         access_log=False)  # fmt: skip
    await server.start()
    main = KazooClient(fake_kazoo.url, ApiKeyCredentials(fake_kazoo.fake.api_key), timeout=5)
    instances = PivotInstances([server.url], main)
    try:
        with pytest.raises(ApiError, match="answers no v2 API: that kfn has the functions"):
            await instances.read(await main.account_id(), FUNCTION)
    finally:
        await instances.aclose()
        await main.aclose()
        await server.stop()


def test_a_profile_keeps_its_pivot_instances_and_refuses_what_is_not_a_url() -> None:
    raw = {"url": "https://kazoo.example:8443", "pivot_instances": ["http://pv-1:8010/"]}
    profile = Profile.from_config("prod", raw)
    assert profile.pivot_instances == ("http://pv-1:8010",)
    assert Profile.from_config("prod", profile.to_config()) == profile
    assert "pivot_instances" not in Profile("p", "https://k").to_config()
    with pytest.raises(ProfileError, match="http:// or https://"):
        Profile.from_config("prod", {**raw, "pivot_instances": ["pv-1:8010"]})
    with pytest.raises(ProfileError, match="a list of URLs"):
        Profile.from_config("prod", {**raw, "pivot_instances": "http://pv-1:8010"})
    with pytest.raises(ValueError, match="not 'ftp://x'"):
        check_instance_url("ftp://x")


async def test_the_live_tab_on_a_kazoo_shows_the_instances_url_and_calls(
    harness: Harness, fake_kazoo: FakeServer, tmp_path
) -> None:
    from tui.app import KfnApp
    from widgets.live_calls import LiveCalls

    fake = fake_kazoo.fake
    with_function(fake)
    client = KazooClient(fake_kazoo.url, ApiKeyCredentials(fake.api_key))
    async with running_instance(fake_kazoo, tmp_path) as one:
        app = KfnApp(
            config=Config.load(harness.config_dir), state_dir=harness.state_dir, client=client,
            server_label=fake_kazoo.url, pivot_instances=[one.url],
        )  # fmt: skip
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await ready(pilot)
            assert screen.current.id == FUNCTION
            await pilot.press("alt+v")
            live = screen.query_one(LiveCalls)
            await wait_for(pilot, lambda: PUBLIC in live.note, what="the instance's URL")
            assert "calls from 1 of 1 kfn pivot instances" in live.note
            await call(f"{one.url}{one.voice_path(fake.account_id)}", "Di", "c-7")
            await wait_for(pilot, lambda: len(live.invocations) == 1, what="the call")
            assert live.invocations[0]["call"]["Caller-ID-Name"] == "Di"
            await pilot.press("n")
            await wait_for(
                pilot,
                lambda: any("pivot callflow node" in n.message for n in app._notifications),
                what="the node copied",
            )
