"""Framework adapters shipped with splice, one module per framework.

Each module defines ``adapter``, an ``splice.engine.hooks.Adapter``. The
engine loads one by name (``hooks.BUNDLED``) only once its framework is
imported in the process, so importing splice never imports a framework, and
an adapter may import its framework at the top: it is already loaded.
"""
