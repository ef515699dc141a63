"""The kernel agent and its clients: standard library only.

``agent`` (the socket thread inside the user's process), ``wire`` (JSON-RPC
framing), ``connection`` (connection files), ``client`` (asyncio client),
``blocking`` (synchronous client), ``commands`` (``splice kernels``,
``splice patch``), ``launch`` (``splice kernel``), ``ipython`` (``%load_ext``).
"""
