"""``splice lsp``: the language server (the only code importing pygls, lsprotocol, parso, cattrs).

server.py       the pygls server on stdio: thin handlers, commands, ``main(argv)``
settings.py     the settings tree, structured by cattrs (bad values: one message, defaults)
arguments.py    strict types for command arguments (pygls answers InvalidParams)
kernels.py      discovering, attaching to and following kernels
processes.py    splice.attachProcess: the user's Python processes; splice attach, then follow
patching.py     save -> patch every kernel running the file; reload actions
definitions.py  definitions in buffers that may not parse (parso)
markers.py      live markers: does each definition match what the kernel runs?
actions.py      which code actions to offer
diagnostics.py  the diagnostics per file and kernel, replaced and cleared
documents.py    pygls documents whose lines split as the client's do
convert.py      positions, and splice values -> LSP shapes (words from splice.report)
"""
