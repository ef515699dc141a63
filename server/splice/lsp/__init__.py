"""``splice lsp``: the language server (the only code importing pygls, lsprotocol, parso).

server.py       the pygls server: thin handlers, commands, ``main(argv)``
settings.py     the settings tree, validated (bad values: one message, defaults)
kernels.py      discovering, attaching to and following kernels
patching.py     save -> patch every kernel running the file; reload actions
definitions.py  definitions in buffers that may not parse (parso)
markers.py      live markers: does each definition match what the kernel runs?
actions.py      which code actions to offer, and command arguments
diagnostics.py  the diagnostics per file and kernel, replaced and cleared
convert.py      splice values -> LSP shapes (diagnostics, messages, status)
"""
