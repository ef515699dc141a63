"""Django: URLconfs follow their edits; model field edits are refused by name.

Views, model methods and template tags and filters are functions, patched
in place like any other (URL patterns, tag nodes and compiled templates hold
the very function objects that get the new code). Two things are not:

- ``urlpatterns`` is a top-level statement, which splice never re-runs on
  its own. In a URLconf it is declarative by convention, so this adapter
  runs a changed ``urlpatterns = [...]`` and clears Django's resolver caches
  (``clear_url_caches``), so the next request resolves with the new patterns.
- A model's fields are its database schema: a changed field needs a
  migration and a restart, so the patch is refused, instead of a field
  statement being reported as merely skipped.
- ``django.conf.settings`` copied the settings module's upper-case names
  when it was set up. After a patch of the settings module, each name whose
  value the patch changed (a literal assignment splice ran) is set on the
  live settings, and Django's ``setting_changed`` signal is sent for it, as
  ``override_settings`` does, so Django's own caches of it are reset. Settings
  Django reads only at start-up (``INSTALLED_APPS``, ``DATABASES``,
  ``MIDDLEWARE``, ...) are set too, and named by a ``django-setting-restart``
  warning: they take effect on a restart.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from splice.engine.hooks import Adapter, ClassClaim, PatchPlan
from splice.engine.result import Finding

Undo = list[Callable[[], None]]
_MISSING = object()


class DjangoAdapter(Adapter):
    framework = "django"

    def plan_patch(self, patch: PatchPlan) -> None:
        _plan_settings(patch)
        module = patch.module
        outline = patch.plan.outline
        if outline is None or "urlpatterns" not in vars(module):
            return
        from splice.engine.baselines.store import has_baseline

        statements = {statement.line: statement for statement in outline.statements}
        chosen = []
        if not has_baseline(module.__name__):
            # No diff says what changed: compare the patterns the new text makes.
            chosen = [
                statement
                for statement in outline.statements
                if statement.scope is None
                and _assigns_urlpatterns(statement.node)
                and _patterns_differ(module, statement.node, patch.plan.filename)
            ]
        for finding in list(patch.skipped):
            statement = statements.get(finding.line) if finding.line is not None else None
            if (
                finding.code == "statement-not-run"
                and statement is not None
                and statement.scope is None
                and _assigns_urlpatterns(statement.node)
            ):
                patch.skipped.remove(finding)
                chosen.append(statement)
        if not chosen:
            return
        codes = [
            (
                statement.line,
                compile(
                    ast.Module(body=[statement.node], type_ignores=[]),
                    patch.plan.filename,
                    "exec",
                    outline.future_flags,
                    dont_inherit=True,
                ),
            )
            for statement in chosen
        ]
        for line, code in codes:
            patch.plan.statements_applied.append(line)
            patch.plan.add_step(line, f"line {line} (urlpatterns)", _runner(module, code))
        patch.last("clearing Django's URL caches", _clear_url_caches)

    def plan_class(self, claim: ClassClaim) -> bool:
        from django.db import models  # type: ignore[import-untyped]

        live: Any = claim.live
        if not (isinstance(live, type) and issubclass(live, models.Model)):
            return False
        if claim.old is not None:
            old = [s.text for s in claim.old.statements if not s.is_docstring]
            new = [s.text for s in claim.new.statements if not s.is_docstring]
            changed = old != new
        else:
            # Without a baseline only the field names can be compared.
            meta = claim.live._meta  # type: ignore[attr-defined]
            fields = {field.name for field in (*meta.local_fields, *meta.local_many_to_many)}
            candidates = _field_names(claim.new.node)
            others = {name for name in candidates if name in vars(live) and name not in fields}
            changed = candidates - others != fields
        if not changed:
            return False  # method edits are patched in place as usual
        claim.refuse(
            "django-model-changed",
            f"{claim.qualname}: cannot change a Django model's fields or Meta in place: they "
            "are its database schema. Make a migration (manage.py makemigrations) and restart "
            "the server",
        )
        return True


#: Settings Django reads once, when it starts: a change takes effect on a restart.
STARTUP_SETTINGS = frozenset(
    {
        "INSTALLED_APPS",
        "MIDDLEWARE",
        "DATABASES",
        "DATABASE_ROUTERS",
        "CACHES",
        "TEMPLATES",
        "AUTH_USER_MODEL",
        "LOGGING",
        "LOGGING_CONFIG",
        "SECRET_KEY",
        "WSGI_APPLICATION",
        "ASGI_APPLICATION",
    }
)


def _plan_settings(patch: PatchPlan) -> None:
    """The settings module changed: the live ``django.conf.settings`` follows it after the commit."""
    from django.conf import settings  # type: ignore[import-untyped]

    wrapped = vars(settings).get("_wrapped")  # never set it up here: a lazy proxy
    if wrapped is None or type(wrapped).__name__ != "Settings":
        return
    module = patch.module
    if vars(wrapped).get("SETTINGS_MODULE") != module.__name__:
        return
    restart = sorted(name for name in _assigned_names(patch) if name in STARTUP_SETTINGS)
    if restart:
        line = min(
            (
                s.line
                for s in (patch.plan.outline.statements if patch.plan.outline else ())
                if _assigned(s.node) & set(restart)
            ),
            default=None,
        )
        patch.plan.skipped.append(
            Finding(
                "django-setting-restart",
                f"{', '.join(restart)}: Django reads {'these settings' if len(restart) > 1 else 'this setting'} "
                "when it starts; the live settings hold the new value, but what Django built "
                "from the old one stays until the server restarts",
                line=line,
                severity="warning",
            )
        )
    cache = vars(settings)
    patch.last(
        "updating django.conf.settings",
        lambda undo: _update_settings(module, wrapped, cache, undo),
    )


def _update_settings(module: Any, wrapped: Any, cache: dict[str, Any], undo: Undo) -> None:
    """Set each changed name on the live settings; the lazy proxy's copy of it is dropped."""
    from django.core.signals import setting_changed  # type: ignore[import-untyped]

    own = vars(wrapped)
    for name, value in list(vars(module).items()):
        if not name.isupper() or own.get(name, _MISSING) is value:
            continue
        previous = own.get(name, _MISSING)
        own[name] = value
        # LazySettings keeps each value it was asked for: the next read must see the new one.
        cache.pop(name, None)
        undo.append(_setting_restorer(own, cache, name, previous))
        setting_changed.send(sender=type(wrapped), setting=name, value=value, enter=True)


def _setting_restorer(
    own: dict[str, Any], cache: dict[str, Any], name: str, previous: Any
) -> Callable[[], None]:
    def restore() -> None:
        cache.pop(name, None)
        if previous is _MISSING:
            own.pop(name, None)
        else:
            own[name] = previous

    return restore


def _assigned_names(patch: PatchPlan) -> set[str]:
    """Upper-case names the changed statements of the new text assign."""
    outline = patch.plan.outline
    if outline is None:
        return set()
    lines = set(patch.plan.statements_applied) | {
        finding.line for finding in patch.skipped if finding.line is not None
    }
    return {
        name
        for statement in outline.statements
        if statement.line in lines
        for name in _assigned(statement.node)
        if name.isupper()
    }


def _assigned(node: ast.stmt) -> set[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return {target.id for target in targets if isinstance(target, ast.Name)}


def _assigns_urlpatterns(node: ast.stmt) -> bool:
    return isinstance(node, ast.Assign) and any(
        isinstance(target, ast.Name) and target.id == "urlpatterns" for target in node.targets
    )


def _patterns_differ(module: Any, node: ast.stmt, filename: str) -> bool:
    """Whether running ``node`` (a ``urlpatterns =``) would give other patterns than now."""
    scratch = dict(vars(module))
    try:
        exec(compile(ast.Module(body=[node], type_ignores=[]), filename, "exec"), scratch)
    except Exception:
        return True  # let the commit run it, report it and undo everything
    return _signature(scratch.get("urlpatterns")) != _signature(vars(module).get("urlpatterns"))


def _signature(patterns: Any) -> list[tuple[str, str, Any, int, str]]:
    if not isinstance(patterns, (list, tuple)):
        return [("", repr(patterns), None, 0, "")]
    return [
        (
            type(pattern).__name__,
            str(getattr(pattern, "pattern", "")),
            getattr(pattern, "name", None),
            id(getattr(pattern, "callback", None)),
            repr(getattr(pattern, "urlconf_name", None)),
        )
        for pattern in patterns
    ]


def _field_names(node: ast.stmt) -> set[str]:
    assert isinstance(node, ast.ClassDef)
    return {
        target.id
        for statement in node.body
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call)
        for target in statement.targets
        if isinstance(target, ast.Name)
    }


def _runner(module: Any, code: Any) -> Callable[[Undo], None]:
    def run(undo: Undo) -> None:
        namespace = vars(module)
        previous = namespace.get("urlpatterns", _MISSING)
        exec(code, namespace)

        def restore() -> None:
            if previous is _MISSING:
                namespace.pop("urlpatterns", None)
            else:
                namespace["urlpatterns"] = previous
            _clear_url_caches([])

        undo.append(restore)

    return run


def _clear_url_caches(undo: Undo) -> None:
    from django.urls import clear_url_caches  # type: ignore[import-untyped]

    clear_url_caches()


adapter = DjangoAdapter()
