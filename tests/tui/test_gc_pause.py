"""The collector is paused for start-up and comes back, frozen, once the first screen is up."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tests.tui.conftest import Harness, ready
from tui import gc_pause


@pytest.fixture
def collector() -> Iterator[None]:
    """Leave the collector as the tests found it, whatever happens in between."""
    yield
    gc_pause.resume()
    gc.unfreeze()
    gc.enable()


def test_resume_freezes_what_start_up_built_only_after_a_pause(collector: None) -> None:
    gc_pause.resume()  # not paused: nothing to do, nothing frozen
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc_pause.pause()
    assert not gc.isenabled()
    built = [[index] for index in range(1000)]  # containers, as start-up makes
    gc_pause.resume()
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(built)
    gc_pause.resume()  # twice is harmless
    assert gc.isenabled()


def test_a_collector_disabled_by_someone_else_is_left_alone(collector: None) -> None:
    gc.disable()
    gc_pause.pause()
    gc_pause.resume()
    assert not gc.isenabled() and gc.get_freeze_count() == 0


async def test_the_app_resumes_the_collector_once_its_work_area_is_up(
    harness: Harness, collector: None
) -> None:
    gc_pause.pause()  # as `kfn` does before importing the app
    app = harness.app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)  # the list loaded, the work area up, a function open
        assert screen.work_area_ready
        assert gc.isenabled() and gc.get_freeze_count() > 0


async def test_switching_servers_gives_the_first_screen_back_to_the_collector(
    harness: Harness, collector: None
) -> None:
    gc_pause.pause()
    app = harness.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert gc.get_freeze_count() > 0
        assert app.embedded is not None
        await app.use_client(app.embedded.client(), "the same server, again")
        assert gc.get_freeze_count() == 0
        await ready(pilot)
