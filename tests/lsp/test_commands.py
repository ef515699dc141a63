"""Commands take typed positional arguments; pygls refuses ones that do not fit."""

from __future__ import annotations

import pytest
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from lsp_support import Session


async def test_command_with_bad_arguments_gets_invalid_params(lsp: Session) -> None:
    await lsp.initialize()

    with pytest.raises(JsonRpcException) as raised:
        await lsp.command("splice.reloadDefinition", None, "three", 0)

    assert raised.value.code == JsonRpcInvalidParams.CODE


async def test_attach_with_two_kernels_gets_invalid_params(lsp: Session) -> None:
    await lsp.initialize()

    with pytest.raises(JsonRpcException) as raised:
        await lsp.command("splice.attach", 12, 13)

    assert raised.value.code == JsonRpcInvalidParams.CODE
