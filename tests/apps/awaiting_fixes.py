"""Cases of the corpus that fail on main while their fixes are made (issue 19).

Each is ``client-app-NN-edit`` (the test id) → what has to change, so the
lead can route it. Listed cases still run: they are ``xfail(strict=True)``,
so when a fix makes one pass the run fails until its line is removed here.
Remove the whole list when issue 19 is done; nothing else may be added to it.
"""

from __future__ import annotations

_IMPORTERS = "engine: rebind the names importers copied with from m import NAME"
_CACHES = "engine: clear caches of unchanged functions that read a rebound name"
_SUSPENDED = "engine: name suspended coroutines, tasks and generators running changed code"
_UNDEFINED = "engine: warn on a name the new text uses that nothing defines"
_LAMBDA = "engine: a lambda in a module-level dict or list is a function of the module"

AWAITING_FIXES: dict[str, str] = {
    "watch-flask_factory-08-vat-imported-by-name": _IMPORTERS,
    "watch-flask_factory-09-discount-read-by-a-cache": _CACHES,
    "watch-flask_factory-11-half-finished-rename": _UNDEFINED,
    "watch-fastapi_routers-02-max-users-imported-by-name": _IMPORTERS,
    "watch-fastapi_routers-08-half-finished-rename": _UNDEFINED,
    "watch-django_site-05-constant-imported-by-name": _IMPORTERS,
    "watch-asyncio_service-02-background-task-body": _SUSPENDED,
    "watch-asyncio_service-05-lambda-in-a-dict": _LAMBDA,
    "watch-asyncio_service-06-suspended-async-generator": _SUSPENDED,
    "watch-spawn_pool-05-helper-constant-imported-by-name": _IMPORTERS,
    "watch-forkserver_pool-05-helper-constant-imported-by-name": _IMPORTERS,
    "watch-training_loop-02-config-default": "engine: name CFG = Config() (made with the old default)",
    "watch-training_loop-03-schedule-lambda-in-a-dict": _LAMBDA,
    "watch-training_loop-05-constant-read-by-a-cache": _CACHES,
    "watch-names_package-01-constant-imported-by-name": _IMPORTERS,
    "watch-names_package-02-decorator-added-to-an-imported-function": _IMPORTERS,
    "watch-names_package-03-constant-read-by-a-cache": _CACHES,
    "watch-names_package-05-half-finished-rename": _UNDEFINED,
    "lsp-names_package-01-constant-imported-by-name": _IMPORTERS,
    "lsp-names_package-02-decorator-added-to-an-imported-function": _IMPORTERS,
    "lsp-names_package-03-constant-read-by-a-cache": _CACHES,
    "lsp-names_package-05-half-finished-rename": _UNDEFINED,
    "watch-shop-01-vat-rate-imported-by-name": _IMPORTERS,
    "lsp-shop-01-vat-rate-imported-by-name": _IMPORTERS,
}

#: Cases that fail on main only sometimes, from a race rather than a missing feature: they run
#: and are ``xfail(strict=False)``. Each says how often it failed and why.
AWAITING_FIXES_INTERMITTENT: dict[str, str] = {}
