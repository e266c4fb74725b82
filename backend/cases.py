"""Test cases kept beside functions: `NAME.test.json` next to `NAME.js`, run KAZOO-exactly.

    {"cases": [{"name": "a known caller", "call": {...call parameters...},
                "expect": {"valid": true, "flow": {"module": "user", "data": {"id": "..."}}}}]}

`expect` may hold `valid` (KAZOO would branch into the flow, for the function's target),
`flow` (a part of the validated flow: every key given must match, lists whole) and `error`
(the failure's kind: thrown, timeout, syntax, ...). `update` rewrites `expect` from what the
function does now, like a snapshot update. JUnit XML is written with the standard library.
"""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.callflow.evaluate import FUNCTION_MODULE, Evaluation, evaluate
from backend.paths import write_atomically

SUFFIX = ".test.json"


class CaseFileError(Exception):
    """A test file that cannot be read as cases; says which and why."""


@dataclass
class CaseResult:
    file: str  # the test file
    function: str  # the function's file stem
    name: str
    failure: str | None  # the first difference, or None when the case passed
    seconds: float
    actual: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.failure is None

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "function": self.function, "name": self.name,
                "passed": self.passed, "failure": self.failure, "seconds": self.seconds,
                "actual": self.actual}  # fmt: skip


def find_case_files(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(path.rglob(f"*{SUFFIX}")))
        elif path.name.endswith(SUFFIX):
            found.append(path)
        elif not path.exists():
            raise CaseFileError(f"{path} does not exist")
        else:
            raise CaseFileError(f"{path}: give a directory or a *{SUFFIX} file")
    return found


def read_cases(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CaseFileError(f"{path} does not exist") from None
    except ValueError as exc:
        raise CaseFileError(f"{path} is not JSON: {exc}") from None
    cases = data.get("cases") if isinstance(data, dict) else None
    if not isinstance(cases, list) or not all(isinstance(c, dict) for c in cases):
        raise CaseFileError(
            f'{path} must be {{"cases": [{{"name": ..., "call": ..., "expect": ...}}]}}'
        )
    for number, case in enumerate(cases, 1):
        if not isinstance(case.get("call", {}), dict) or not isinstance(
            case.get("expect", {}), dict
        ):
            raise CaseFileError(f"{path}: case {number}: call and expect must be objects")
    return cases


def actual_of(evaluation: Evaluation, target: str) -> dict[str, Any]:
    """What a case's `expect` is compared with (and what `update` writes)."""
    if evaluation.passes(target):
        return {"valid": True, "flow": evaluation.flow}
    found: dict[str, Any] = {"valid": False}
    if evaluation.error is not None:
        found["error"] = evaluation.error.kind
    return found


def first_difference(expected: Any, actual: Any, where: str = "") -> str | None:
    """Where `actual` departs from `expected`: objects match on the keys `expected` gives."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where or '(root)'}: expected an object, got {json.dumps(actual)}"
        for key, value in expected.items():
            if key not in actual:
                return f"{where}{'.' if where else ''}{key}: missing (expected {json.dumps(value)})"
            found = first_difference(value, actual[key], f"{where}{'.' if where else ''}{key}")
            if found:
                return found
        return None
    if expected != actual:
        return f"{where or '(root)'}: expected {json.dumps(expected)}, got {json.dumps(actual)}"
    return None


BodyFor = Callable[[Path], tuple[str, str]]  # test file -> (function body, target)


def body_beside(test_file: Path) -> tuple[str, str]:
    """The function next to the test file, and its target from the pulled manifest if any."""
    stem = test_file.name[: -len(SUFFIX)]
    source = test_file.with_name(f"{stem}.js")
    try:
        body = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CaseFileError(f"{test_file}: no {source.name} beside it") from None
    return body, target_in_manifest(test_file.parent, source.name)


def function_id_in_manifest(folder: Path, file: str) -> str | None:
    """The id of the pulled function kept as `file`, by the manifest of `folder`."""
    try:
        functions = json.loads((folder / "functions.json").read_text(encoding="utf-8"))["functions"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    for function_id, entry in functions.items():
        if isinstance(entry, dict) and entry.get("file") == file:
            return str(function_id)
    return None


def target_in_manifest(folder: Path, file: str) -> str:
    try:
        functions = json.loads((folder / "functions.json").read_text(encoding="utf-8"))["functions"]
    except (OSError, ValueError, KeyError, TypeError):
        return FUNCTION_MODULE
    for entry in functions.values():
        if isinstance(entry, dict) and entry.get("file") == file:
            return str((entry.get("fields") or {}).get("kfn_target") or FUNCTION_MODULE)
    return FUNCTION_MODULE


def run_cases(
    files: list[Path], *, body_for: BodyFor = body_beside, update: bool = False,
    target: str | None = None,
) -> list[CaseResult]:  # fmt: skip
    results: list[CaseResult] = []
    for test_file in files:
        cases = read_cases(test_file)
        body, own_target = body_for(test_file)
        stem = test_file.name[: -len(SUFFIX)]
        for number, case in enumerate(cases, 1):
            started = time.perf_counter()
            evaluation = evaluate(body, dict(case.get("call") or {}))
            judged_for = target or own_target
            actual = actual_of(evaluation, judged_for)
            expected = case.get("expect") or {}
            failure = first_difference(expected, actual) if expected else "no expect given"
            why = evaluation.reasons() + [
                f"KAZOO's ES5 function module refuses {line}"
                for line in evaluation.rejections(judged_for)
            ]
            if failure and why:
                failure += f" ({'; '.join(why)})"
            name = str(case.get("name") or f"case {number}")
            results.append(CaseResult(str(test_file), stem, name, failure,
                                      time.perf_counter() - started, actual))  # fmt: skip
            if update:
                case["expect"] = actual
        if update:
            text = json.dumps({"cases": cases}, indent=2, ensure_ascii=False) + "\n"
            write_atomically(test_file, text)
    return results


def junit_xml(results: list[CaseResult]) -> str:
    """JUnit XML as CI systems read it: one testsuite per test file, a testcase per case."""
    suites = ET.Element("testsuites", name="kfn test", tests=str(len(results)),
                        failures=str(sum(not r.passed for r in results)))  # fmt: skip
    by_file: dict[str, list[CaseResult]] = {}
    for result in results:
        by_file.setdefault(result.file, []).append(result)
    for file, members in by_file.items():
        suite = ET.SubElement(
            suites, "testsuite", name=file, tests=str(len(members)),
            failures=str(sum(not r.passed for r in members)), errors="0",
            time=f"{sum(r.seconds for r in members):.6f}",
        )  # fmt: skip
        for result in members:
            case = ET.SubElement(suite, "testcase", classname=result.function, name=result.name,
                                 time=f"{result.seconds:.6f}")  # fmt: skip
            if result.failure is not None:
                failure = ET.SubElement(case, "failure", message=result.failure, type="mismatch")
                failure.text = json.dumps(result.actual, indent=2)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def case_file_for(folder: Path, function_id: str) -> Path | None:
    """`NAME.test.json` beside a pulled function (by the manifest of `folder`), else None."""
    try:
        functions = json.loads((folder / "functions.json").read_text(encoding="utf-8"))["functions"]
        entry = functions[function_id]
        stem = str(entry["file"]).removesuffix(".js")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return folder / f"{stem}{SUFFIX}"


def add_case(test_file: Path, name: str, call: dict[str, Any], expect: dict[str, Any]) -> None:
    """Add a case (or replace the one of that name), keeping the file's other cases."""
    cases = read_cases(test_file) if test_file.exists() else []
    case = {"name": name, "call": call, "expect": expect}
    kept = [c for c in cases if c.get("name") != name]
    write_atomically(test_file, json.dumps({"cases": [*kept, case]}, indent=2,
                                           ensure_ascii=False) + "\n")  # fmt: skip
