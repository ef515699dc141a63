"""Cases of the corpus that fail on main while their fixes are made (issue 19).

Each is ``client-app-NN-edit`` (the test id) → what has to change, so the
lead can route it. Listed cases still run: they are ``xfail(strict=True)``,
so when a fix makes one pass the run fails until its line is removed here.
Remove the whole list when issue 19 is done; nothing else may be added to it.
"""

from __future__ import annotations

_MP_MAIN = "engine/agent: patch the namespace __mp_main__'s functions read (spawn, forkserver)"
_BATCH = (
    "--watch and lsp: order a batch by imports, retry a file whose import a later one satisfies"
)
_FLASK_FACTORY = "flask adapter: a factory's config and routes reach the live app"
_BLUEPRINT = "flask adapter: routes added or changed on a registered blueprint"
_RESPONSE_MODEL = (
    "fastapi adapter: a re-registered route keeps response_model= (openapi loses ItemOut)"
)

AWAITING_FIXES: dict[str, str] = {
    "watch-flask_factory-02-factory-config-value": _FLASK_FACTORY,
    "watch-flask_factory-03-factory-route-added": _FLASK_FACTORY,
    "watch-flask_factory-04-blueprint-route-added": _BLUEPRINT,
    "watch-flask_factory-05-blueprint-route-path": _BLUEPRINT,
    "watch-flask_factory-10-rename-saved-together": _BATCH,
    "watch-fastapi_routers-03-router-prefix": "fastapi adapter: a router's prefix (skipped today)",
    "watch-fastapi_routers-05-field-added-to-a-base-model": "pydantic adapter: rebuild subclasses in MRO order",
    "watch-fastapi_routers-07-settings-default": _RESPONSE_MODEL,
    "watch-fastapi_routers-09-rename-finished": _RESPONSE_MODEL,
    "watch-django_site-03-setting-page-size": "django adapter: a changed setting reaches django.conf.settings",
    "watch-django_site-04-setting-read-by-a-template-view": "django adapter: a changed setting reaches django.conf.settings",
    "watch-spawn_pool-02-main-script-constant": _MP_MAIN,
    "watch-spawn_pool-03-new-import-in-the-main-script": _MP_MAIN,
    "watch-forkserver_pool-02-main-script-constant": _MP_MAIN,
    "watch-forkserver_pool-03-new-import-in-the-main-script": _MP_MAIN,
    "watch-names_package-04-rename-saved-together": _BATCH,
    "lsp-names_package-04-rename-saved-together": _BATCH,
}

#: Cases that fail on main only sometimes, from a race rather than a missing feature: they run
#: and are ``xfail(strict=False)``. Each says how often it failed and why.
AWAITING_FIXES_INTERMITTENT: dict[str, str] = {
    "watch-spawn_pool-01-worker-function-body": (
        "agent/--watch: a spawned worker runs the main script as __mp_main__ with runpy, which"
        " no import hook sees; when --watch first asks the worker for its modules before that,"
        " it never learns the worker runs jobs.py and patches 'in 2 processes' of 3, silently"
        " (about 1 save in 6 here)"
    ),
}
