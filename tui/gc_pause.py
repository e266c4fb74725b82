"""Start-up without CPython's cyclic garbage collector.

Start-up builds several hundred thousand objects that live until exit: modules, classes, styles,
widgets, the list's entries. As they pile up, the collector traverses them again and again and
finds nothing to free: about 50 ms of a 0.7 s launch, measured (`bench/app.py`). So `kfn` pauses
the collector before its first heavy import, and resumes it once the app's first screen is
complete. It moves everything start-up built into the permanent generation first (`gc.freeze`),
so that later collections, during typing, skip those objects too. Reference counting, which frees
almost everything, is never paused; only cycles wait, for a second or two.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Called by the entry point before the app's imports."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Freeze what start-up built and collect again; a no-op unless `pause()` paused it (an
    app run by tests, or a collector someone else disabled, is left alone). Idempotent."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def thaw() -> None:
    """Give start-up's objects back to the collector: the app has dropped the main screen built
    at start-up (a switch of server), and frozen objects in a reference cycle, as widgets are,
    would never be freed."""
    gc.unfreeze()
