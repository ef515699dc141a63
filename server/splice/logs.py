"""splice's loggers: ``logging`` is used only in programs that have loaded it already.

splice lives in other people's programs. Importing ``logging`` costs a
process that starts an agent about 5 ms (``traceback``, ``string``,
``tokenize``...), and a program that has not imported it has configured no
handler, so nothing splice logs there could be shown: the record is dropped.
Once the program has loaded ``logging``, records go to
``logging.getLogger(name)`` as usual, and the ``splice`` logger gets a
``NullHandler`` first, so that, unconfigured, a warning never reaches the
user's stderr through logging's last-resort handler.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from typing import Any

PACKAGE = "splice"

_package_handled = False


def get_logger(name: str) -> Logger:
    """The logger of module ``name`` (splice's modules call this with ``__name__``)."""
    return Logger(name)


class Logger:
    """``logging.getLogger(name)``'s methods that splice uses, resolved when ``logging`` is loaded."""

    __slots__ = ("_logger", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._logger: logging.Logger | None = None

    def debug(self, message: str, *args: object, **options: Any) -> None:
        self._log("debug", message, args, options)

    def info(self, message: str, *args: object, **options: Any) -> None:
        self._log("info", message, args, options)

    def warning(self, message: str, *args: object, **options: Any) -> None:
        self._log("warning", message, args, options)

    def error(self, message: str, *args: object, **options: Any) -> None:
        self._log("error", message, args, options)

    def exception(self, message: str, *args: object, **options: Any) -> None:
        self._log("exception", message, args, options)

    def _log(self, level: str, message: str, args: tuple[object, ...], options: Any) -> None:
        logger = self._loaded()
        if logger is not None:
            # The record names the line that logged, not these two forwarding frames.
            options["stacklevel"] = options.get("stacklevel", 1) + 2
            getattr(logger, level)(message, *args, **options)

    def _loaded(self) -> logging.Logger | None:
        logger = self._logger
        if logger is None:
            module = sys.modules.get("logging")
            # Another thread may be importing it right now: not usable until it is complete.
            spec = getattr(module, "__spec__", None)
            if module is None or getattr(spec, "_initializing", False):
                return None
            if not hasattr(module, "NullHandler"):
                return None
            _handle_package(module)
            logger = self._logger = module.getLogger(self.name)
        return logger


def _handle_package(module: Any) -> None:
    global _package_handled
    if _package_handled:
        return
    package = module.getLogger(PACKAGE)
    if not any(isinstance(handler, module.NullHandler) for handler in package.handlers):
        package.addHandler(module.NullHandler())
    _package_handled = True
