"""PatchResult crosses process boundaries as JSON, and reads as one line."""

from __future__ import annotations

import json

from engine.helpers import Live, ok
from splice import Finding, PatchResult

SOURCE = "events = []\nevents.append(1)\n\ndef f():\n    return 1\n"
AFTER = SOURCE.replace("append(1)", "append(2)").replace("return 1", "return 2")


def test_result_round_trips_through_dict(live: Live) -> None:
    module = live.load(SOURCE)
    result = ok(live.patch(module, AFTER))
    assert PatchResult.from_dict(result.to_dict()) == result


def test_result_dict_is_json_serialisable(live: Live) -> None:
    module = live.load(SOURCE)
    result = ok(live.patch(module, AFTER))
    data = json.loads(json.dumps(result.to_dict()))
    assert data["changed"] == ["f"]
    assert data["skipped"][0]["code"] == live.either("statement-not-run", "statement-unverified")
    assert PatchResult.from_dict(data) == result


def test_result_with_errors_round_trips(live: Live) -> None:
    module = live.load(SOURCE)
    result = live.patch(module, "def f(:\n")
    assert PatchResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def test_result_summary_one_line(live: Live) -> None:
    module = live.load(SOURCE)
    result = ok(live.patch(module, AFTER))
    summary = result.summary()
    assert "\n" not in summary
    assert summary.startswith(
        f"patched {module.__name__}.py: f changed, 1 statement skipped (line 2) in "
    )
    assert summary.endswith(" ms")


def test_result_duration_measured(live: Live) -> None:
    module = live.load(SOURCE)
    result = ok(live.patch(module, AFTER))
    assert 0 < result.duration_ms < 10_000


def test_finding_from_dict_ignores_unknown_keys() -> None:
    finding = Finding("statement-not-run", "m", line=3, severity="warning")
    data = {**finding.to_dict(), "future": True}
    assert Finding.from_dict(data) == finding


def test_result_is_frozen() -> None:
    import dataclasses

    import pytest

    result = PatchResult(ok=True, module="m")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.ok = False  # type: ignore[misc]
