"""The language server's settings: one tree of defaulted dataclasses.

Settings arrive as ``initializationOptions`` and in the ``splice`` section of
``workspace/didChangeConfiguration``, with camelCase keys (``patchOnSave``).
A bad value never stops the server: each bad field falls back to its default,
and every problem is gathered into one message for the user.
docs/settings.md documents each field; a test keeps the two in agreement.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

AutoAttach = Literal["workspace", "file", "off"]
LogLevel = Literal["error", "warning", "info", "debug"]

AUTO_ATTACH_CHOICES: tuple[str, ...] = ("workspace", "file", "off")
LOG_LEVEL_CHOICES: tuple[str, ...] = ("error", "warning", "info", "debug")


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


@dataclass(frozen=True)
class SettingsProblem:
    """One field that could not be used, and why."""

    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.key}: {self.reason}"


def camel_case(name: str) -> str:
    """``patch_on_save`` -> ``patchOnSave``."""
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def setting_keys() -> dict[str, Any]:
    """Every setting's wire name and its default, in declaration order."""
    defaults = Settings()
    return {
        camel_case(item.name): getattr(defaults, item.name) for item in dataclasses.fields(Settings)
    }


def _check_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _check_choice(choices: tuple[str, ...]) -> Any:
    def check(value: Any) -> str:
        if not isinstance(value, str) or value.lower() not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}; got {value!r}")
        return value.lower()

    return check


def _check_kernels(value: Any) -> tuple[int | str, ...]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"expected a list of pids or connection files, got {value!r}")
    kernels: list[int | str] = []
    for item in value:
        # A pid typed into a JSON settings file often arrives as a string.
        if isinstance(item, str) and item.strip().isdigit():
            kernels.append(int(item))
        elif isinstance(item, int) and not isinstance(item, bool) and item > 0:
            kernels.append(item)
        elif isinstance(item, str) and item.strip():
            kernels.append(item.strip())
        else:
            raise ValueError(f"expected a pid or a connection file path, got {item!r}")
    return tuple(kernels)


_CHECKS = {
    "patch_on_save": _check_bool,
    "auto_attach": _check_choice(AUTO_ATTACH_CHOICES),
    "kernels": _check_kernels,
    "delete_removed": _check_bool,
    "live_markers": _check_bool,
    "log_level": _check_choice(LOG_LEVEL_CHOICES),
}


def parse_settings(data: Any) -> tuple[Settings, list[SettingsProblem]]:
    """Settings from the client's JSON; bad or unknown keys are reported, not fatal.

    Accepts the bare object or one wrapped in a ``splice`` key (clients differ
    in which they send). ``None`` means "all defaults".
    """
    if data is None:
        return Settings(), []
    if isinstance(data, dict) and isinstance(data.get("splice"), dict):
        data = data["splice"]
    if not isinstance(data, dict):
        return Settings(), [SettingsProblem("splice", f"expected an object, got {data!r}")]

    by_wire_name = {camel_case(item.name): item.name for item in dataclasses.fields(Settings)}
    values: dict[str, Any] = {}
    problems: list[SettingsProblem] = []
    for key, value in data.items():
        name = by_wire_name.get(key)
        if name is None:
            # Client-only settings (VS Code's ``python``) share the section.
            if key not in CLIENT_ONLY_KEYS:
                problems.append(SettingsProblem(key, "unknown setting, ignored"))
            continue
        if value is None:
            continue
        try:
            values[name] = _CHECKS[name](value)
        except ValueError as error:
            problems.append(SettingsProblem(key, f"{error}; using the default"))
    return Settings(**values), problems


#: Keys of the ``splice`` section that only an editor client reads.
CLIENT_ONLY_KEYS = frozenset({"python", "trace", "server"})


def describe_problems(problems: list[SettingsProblem]) -> str:
    """One message for the user, naming every bad setting."""
    listed = "; ".join(str(problem) for problem in problems)
    return f"splice: some settings were not understood ({listed}). See docs/settings.md."
