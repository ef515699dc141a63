"""``splice.records.Record``: a frozen dataclass's behaviour without importing ``dataclasses``."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from splice.agent.options import AgentOptions
from splice.engine.result import Finding, PatchResult, Place
from splice.records import replace


def test_record_fields_are_frozen() -> None:
    options = AgentOptions()
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.host = "::1"  # type: ignore[misc]
    assert options.host == "127.0.0.1"


def test_record_equality_and_hash_skip_uncompared_fields() -> None:
    assert AgentOptions(runner=object()) == AgentOptions()
    assert hash(AgentOptions(runner=object())) == hash(AgentOptions())
    assert AgentOptions(idle_timeout=5) != AgentOptions()


def test_record_rejects_what_its_dataclass_would() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'idle'"):
        AgentOptions(idle=5)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="missing required argument: 'module'"):
        PatchResult(ok=True)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="multiple values"):
        Place("m", "m.py", 1, module="n")  # type: ignore[misc]


def test_replace_checks_the_new_value_again() -> None:
    assert replace(AgentOptions(), host="localhost").host == "127.0.0.1"
    with pytest.raises(ValueError, match="loopback only"):
        replace(AgentOptions(), host="0.0.0.0")


def test_records_are_dataclasses_to_dataclasses() -> None:
    finding = Finding("rude-edit", "no", place=Place("m", "m.py", 3))
    assert dataclasses.is_dataclass(finding)
    assert [field.name for field in dataclasses.fields(Place)] == ["module", "file", "line"]
    assert dataclasses.replace(finding, line=4) == Finding(
        "rude-edit", "no", line=4, place=Place("m", "m.py", 3)
    )
    assert dataclasses.asdict(finding)["place"] == {"module": "m", "file": "m.py", "line": 3}
    by_name = {field.name: field for field in dataclasses.fields(AgentOptions)}
    assert by_name["runner"].compare is False


def test_records_round_trip_through_pickle_and_json() -> None:
    result = PatchResult(ok=True, module="m", changed=("f",), skipped=(Finding("c", "m"),))
    assert pickle.loads(pickle.dumps(result)) == result
    assert PatchResult.from_dict(result.to_dict()) == result
    assert repr(Place("m", "m.py", 1)) == "Place(module='m', file='m.py', line=1)"


def test_a_dataclass_may_subclass_a_record() -> None:
    @dataclasses.dataclass(frozen=True)
    class Labelled(Place):
        label: str = ""

    labelled = Labelled("m", "m.py", 3, label="here")
    assert dataclasses.replace(labelled, line=4) == Labelled("m", "m.py", 4, label="here")
    assert [field.name for field in dataclasses.fields(labelled)][-1] == "label"
    with pytest.raises(dataclasses.FrozenInstanceError):
        labelled.line = 5  # type: ignore[misc]
