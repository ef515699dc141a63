"""The corpus of issue 19: small realistic applications, each with a script of everyday edits."""

from __future__ import annotations

from sequence import App

from corpus import (
    asyncio_service,
    django_site,
    fastapi_routers,
    flask_factory,
    names_package,
    process_pool,
    shop,
    training_loop,
)

APPS: dict[str, App] = {
    app.name: app
    for app in (
        flask_factory.APP,
        fastapi_routers.APP,
        django_site.APP,
        asyncio_service.APP,
        process_pool.SPAWN,
        process_pool.FORKSERVER,
        training_loop.APP,
        names_package.APP,
        shop.APP,
    )
}


def jobs(drivers: tuple[str, ...] = ("watch", "lsp")) -> list[tuple[App, str]]:
    """Every (app, driver) pair the corpus runs, slowest first so the parallel run ends sooner."""
    return [(app, driver) for app in APPS.values() for driver in app.drivers if driver in drivers]
