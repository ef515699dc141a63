"""The editor side of the socket: clients of a kernel agent and the CLI over them.

Standard library only, but never imported into the user's program: ``client``
(asyncio), ``blocking`` (synchronous), ``commands`` (``splice kernels``,
``splice patch``).
"""
