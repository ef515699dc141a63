"""The language server's settings: one tree of defaulted dataclasses, structured by cattrs.

Settings arrive as ``initializationOptions`` and in the ``splice`` section of
``workspace/didChangeConfiguration``, with camelCase keys (``patchOnSave``).
The defaults here are the one source of truth: docs/settings.md and the VS Code
extension's package.json list the same (tests compare them); Neovim forwards
what the user wrote. A bad value never stops the server: that field keeps its
previous value (its default at start), and every problem goes into one message.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

import cattrs
from cattrs.gen import make_dict_structure_fn, override

AutoAttach = Literal["workspace", "file", "off"]
LogLevel = Literal["error", "warning", "info", "debug"]
#: The values other Python tools' extensions use (microsoft/vscode-python-tools-extension-template).
ShowNotifications = Literal["off", "onError", "onWarning", "always"]


@dataclass(frozen=True)
class Settings:
    """Everything a user can configure in the server (camelCase on the wire)."""

    #: Patch every attached kernel that runs a file when the file is saved.
    patch_on_save: bool = True
    #: Which kernels to attach to on their own: those running files of the
    #: workspace, those that have an open file loaded, or none.
    auto_attach: AutoAttach = "workspace"
    #: Kernels to attach to whatever ``auto_attach`` says: pids or connection files.
    kernels: tuple[int | str, ...] = field(default=())
    #: Remove definitions from the live module when they are deleted from the file.
    delete_removed: bool = True
    #: Show "live" / "differs from kernel" above each definition.
    live_markers: bool = True
    #: The least severe log record sent to the editor's log (and to stderr).
    log_level: LogLevel = "info"
    #: Which patch results pop up a message (``window/showMessage``): by default
    #: only a refused or partly applied patch; the status and diagnostics say
    #: the rest.
    show_notifications: ShowNotifications = "onWarning"
    #: A Dask scheduler's address: whole-file patches also go to every worker of
    #: that cluster (``splice.dask``, imported only when this is set).
    dask_scheduler: str | None = field(default=None, metadata={"key": "dask.scheduler"})


@dataclass(frozen=True)
class SettingsProblem:
    """One field that could not be used, and why."""

    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.key}: {self.reason}"


#: Keys of the ``splice`` section that only an editor client reads.
CLIENT_ONLY_KEYS = frozenset({"python", "trace", "server", "debugSessions"})


def camel_case(name: str) -> str:
    """``patch_on_save`` -> ``patchOnSave``."""
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def _wire_key(item: dataclasses.Field[Any]) -> str:
    """A field's key: camelCase, or the dotted name of a nested setting (``dask.scheduler``)."""
    return str(item.metadata.get("key", camel_case(item.name)))


_FIELDS = {_wire_key(item): item for item in dataclasses.fields(Settings)}
_KEYS = {item.name: key for key, item in _FIELDS.items()}
#: The first part of dotted keys: VS Code sends ``{"dask": {"scheduler": ...}}``.
_GROUPS = frozenset(key.split(".")[0] for key in _FIELDS if "." in key)
_TYPES = typing.get_type_hints(Settings)


def setting_keys() -> dict[str, Any]:
    """Every setting's wire name and its default, in declaration order."""
    defaults = Settings()
    return {key: getattr(defaults, item.name) for key, item in _FIELDS.items()}


def _boolean(value: Any, _: Any) -> bool:
    # cattrs would take any truthy value: "no" would mean true.
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def _kernel(value: Any, _: Any) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.strip():
        # A pid typed into a JSON settings file often arrives as text.
        return int(value) if value.strip().isdigit() else value.strip()
    raise TypeError(f"expected a pid or a connection file path, got {value!r}")


def _address(value: Any, _: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise TypeError(f"expected an address such as tcp://127.0.0.1:8786, got {value!r}")
    return value.strip()


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter()
    converter.register_structure_hook(bool, _boolean)
    converter.register_structure_hook(int | str, _kernel)
    converter.register_structure_hook(str | None, _address)
    renames = {item.name: override(rename=key) for key, item in _FIELDS.items()}
    converter.register_structure_hook(
        Settings,
        make_dict_structure_fn(Settings, converter, **renames),  # type: ignore[arg-type]
    )
    return converter


_converter = _make_converter()


def parse_settings(
    data: Any, current: Settings | None = None
) -> tuple[Settings, list[SettingsProblem]]:
    """``current`` updated with the client's JSON; bad or unknown keys are reported, not fatal.

    Keys the client leaves out keep their ``current`` value (a partial
    ``didChangeConfiguration`` changes only what it names); ``null`` means
    the default. Accepts the bare object or one wrapped in a ``splice`` key
    (clients differ in which they send). ``None`` changes nothing.
    """
    current = current or Settings()
    if data is None:
        return current, []
    if isinstance(data, dict) and isinstance(data.get("splice"), dict):
        data = data["splice"]
    if not isinstance(data, dict):
        return current, [SettingsProblem("splice", f"expected an object, got {data!r}")]
    data, problems = _flatten(data)

    problems += [
        SettingsProblem(str(key), "unknown setting, ignored")
        for key in data
        if key not in _FIELDS and key not in CLIENT_ONLY_KEYS
    ]
    defaults = Settings()
    values = {key: getattr(current, item.name) for key, item in _FIELDS.items()}
    for key, item in _FIELDS.items():
        if key in data:
            value = data[key]
            values[key] = getattr(defaults, item.name) if value is None else value
    try:
        return _converter.structure(values, Settings), problems
    except cattrs.ClassValidationError as error:
        for failure in error.exceptions:
            key = _failed_key(failure)
            problems.append(
                SettingsProblem(key, f"{_reason(failure, key, values[key])}; using the default")
            )
            # Only the client's values can fail: ``current`` was valid.
            values[key] = getattr(defaults, _FIELDS[key].name)
    return _converter.structure(values, Settings), problems


def _flatten(data: dict[str, Any]) -> tuple[dict[str, Any], list[SettingsProblem]]:
    """``{"dask": {"scheduler": x}}`` as ``{"dask.scheduler": x}``; both spellings are accepted."""
    flat: dict[str, Any] = {}
    problems = []
    for key, value in data.items():
        if key not in _GROUPS:
            flat[key] = value
        elif isinstance(value, dict):
            flat.update({f"{key}.{inner}": item for inner, item in value.items()})
        elif value is not None:
            problems.append(SettingsProblem(key, f"expected an object, got {value!r}"))
    return flat, problems


def _failed_key(failure: BaseException) -> str:
    """The wire name of the field a cattrs failure is about (its note names it)."""
    for note in getattr(failure, "__notes__", ()):
        name = getattr(note, "name", None)
        if name is not None:
            return _KEYS.get(str(name), camel_case(str(name)))
    raise failure


def _reason(failure: BaseException, key: str, value: Any) -> str:
    while isinstance(failure, cattrs.BaseValidationError) and failure.exceptions:
        failure = failure.exceptions[0]
    kind = _TYPES[_FIELDS[key].name]
    if typing.get_origin(kind) is Literal:
        choices = typing.get_args(kind)
        return f"expected one of {', '.join(choices)}; got {value!r}"
    return str(failure)


def describe_problems(problems: list[SettingsProblem]) -> str:
    """One message for the user, naming every bad setting."""
    listed = "; ".join(str(problem) for problem in problems)
    return f"splice: some settings were not understood ({listed}). See docs/settings.md."
