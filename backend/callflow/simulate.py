"""`simulate`: one walk of a callflow for one test call, as KAZOO's executor would take it
(docs/kazoo-compatibility.md §6): the entry point the CLI and the app use. The walk itself is
`execute.py`; what each module does next is `continuations.py`; where documents come from is
`sources.py`. kfn also refuses, as docs/kazoo-compatibility.md §8.3 says, to run a function
that is disabled, deleted, missing or owned by another account, and says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backend.callflow.execute import (
    MAX_BRANCHES,
    Checker,
    Environment,
    Scenario,
    ScenarioError,
    Simulation,
    Step,
    all_paths,
    execute,
)
from backend.callflow.sources import (
    DirectorySource,
    Documents,
    FunctionDoc,
    FunctionSource,
    MappingSource,
    StoreSource,
)
from backend.runtime.sandbox import Sandbox

__all__ = [
    "MAX_BRANCHES",
    "DirectorySource",
    "Documents",
    "FunctionDoc",
    "FunctionSource",
    "MappingSource",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "Step",
    "StoreSource",
    "all_paths",
    "simulate",
]


def simulate(
    callflow: Mapping[str, Any],
    call_payload: dict[str, Any],
    source: FunctionSource,
    *,
    documents: Documents | None = None,
    account_id: str | None = None,
    sandbox: Sandbox | None = None,
    raw: bool = False,
    max_branches: int = MAX_BRANCHES,
    check: Checker | None = None,
    capture_group: str | None = None,
    scenario: Scenario | None = None,
) -> Simulation:
    """Walk `callflow` for one call, with the call's scenario unless `scenario` is given.
    `check` replaces `es5.check` for the function bodies (the app runs it in a process of its
    own). Raises ScenarioError for a scenario kfn does not understand."""
    env = Environment(
        call=call_payload,
        functions=source,
        documents=documents or Documents(),
        account_id=account_id,
        sandbox=sandbox,
        raw=raw,
        check=check,
        max_branches=max_branches,
        capture_group=capture_group,
    )
    return execute(callflow, env, scenario)
