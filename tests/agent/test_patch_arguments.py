"""``splice patch`` reads plain command lines without argparse, into what argparse makes of them."""

from __future__ import annotations

import pytest

from splice.client.commands import _patch_parser
from splice.client.patch_arguments import quick_patch_arguments
from splice.client.requests import REQUEST_TIMEOUT

READ_QUICKLY = [
    ["app.py"],
    ["app.py", "--kernel", "123"],
    ["--kernel", "123", "app.py"],
    ["--kernel=123", "--kernel", "/run/kernel-4.json", "app.py"],
    ["app.py", "--only", "Cart.total", "--only=price", "--dry-run", "--json"],
    ["app.py", "--undo", "--timeout", "2.5"],
    ["app.py", "--timeout=7", "--timeout", "3"],
    ["app.py", "--apply-others", "--dask", "tcp://127.0.0.1:8786"],
    ["app.py", "--only=", "--only=a=b"],
    ["", "--json"],
    ["app.py", "--timeout", "inf"],
]

#: Left to argparse: help, errors, abbreviations, values that look like options, ``--``.
LEFT_TO_ARGPARSE = [
    [],
    ["--help"],
    ["-h"],
    ["app.py", "other.py"],
    ["app.py", "--kern", "1"],
    ["app.py", "--kernel"],
    ["app.py", "--kernel", "-1"],
    ["app.py", "--only", "--json"],
    ["app.py", "--timeout", "0"],
    ["app.py", "--timeout", "-2"],
    ["app.py", "--timeout=-2"],
    ["app.py", "--timeout", "nan"],
    ["app.py", "--timeout", "soon"],
    ["app.py", "--json=yes"],
    ["--", "app.py"],
    ["-"],
    ["--json"],
]


@pytest.mark.parametrize("argv", READ_QUICKLY, ids=" ".join)
def test_quick_patch_arguments_equal_argparse(argv: list[str]) -> None:
    quick = quick_patch_arguments(argv, REQUEST_TIMEOUT)
    assert quick is not None
    assert vars(quick) == vars(_patch_parser().parse_args(argv))


@pytest.mark.parametrize("argv", LEFT_TO_ARGPARSE, ids=" ".join)
def test_quick_patch_arguments_leave_the_rest_to_argparse(argv: list[str]) -> None:
    assert quick_patch_arguments(argv, REQUEST_TIMEOUT) is None
