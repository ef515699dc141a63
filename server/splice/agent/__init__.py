"""The in-process side: everything that runs inside the user's program.

Standard library only (a test walks the import graph). ``process`` (the
process's one agent: ``listen()``, exit, fork, SIGTERM), ``options`` (every
``listen()`` option, one frozen value), ``agent`` (sockets and connections),
``dispatch`` (a decoded message in, its reply out), ``methods`` (what each
request does), ``threads`` (where a patch runs), ``imports``
(``moduleImported``), ``wire`` (JSON-RPC framing),
``connection`` (connection files), and the hosts: ``run`` (``splice run``),
``watch`` (``--watch``), ``launch`` (``splice kernel``), ``ipython``
(``%load_ext splice``).
"""
