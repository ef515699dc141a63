"""The in-process side: everything that runs inside the user's program.

Standard library only (a test walks the import graph). ``agent`` (sockets and
connections), ``methods`` (what each request does), ``threads`` (where a patch
runs), ``imports`` (``moduleImported``), ``wire`` (JSON-RPC framing),
``connection`` (connection files), and the hosts: ``run`` (``splice run``),
``watch`` (``--watch``), ``launch`` (``splice kernel``), ``ipython``
(``%load_ext splice``).
"""
