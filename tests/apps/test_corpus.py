"""Issue 19's oracle: every edit of the corpus behaves like a fresh start of the edited program, or is named.

One test per (client, app, edit). The corpus runs once per session, the apps
in parallel (``sequence.run_corpus``), when the first selected case needs it;
each case then asserts on its own outcome, and a failure prints which app and
edit, what the live program and a fresh start answered, and what the client
said (``oracle.EditOutcome.explain``). The figures table is printed at the end
of the run (``conftest.py``), and ``figures.py`` prints it on its own. No case
is marked: a silent miss anywhere in the corpus fails the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from corpus import APPS, jobs
from oracle import FAMILIES, EditOutcome
from sequence import App, run_corpus

pytest.importorskip("flask")
pytest.importorskip("fastapi")
pytest.importorskip("django")
pytest.importorskip("uvicorn")

#: The whole corpus runs inside the first selected case's setup.
CORPUS_TIMEOUT = 900


@dataclass(frozen=True)
class Case:
    app: App
    driver: str
    index: int

    def __repr__(self) -> str:
        return self.id

    @property
    def id(self) -> str:
        return (
            f"{self.driver}-{self.app.name}-{self.index:02d}-{self.app.edits[self.index - 1].name}"
        )


CASES = [
    Case(app, driver, index) for app, driver in jobs() for index in range(1, len(app.edits) + 1)
]


@pytest.fixture(scope="session")
def corpus_outcomes(request: pytest.FixtureRequest) -> dict[str, EditOutcome]:
    """Runs every (app, client) that a selected case belongs to, once, all in parallel."""
    selected = {
        item.callspec.params["case"].id
        for item in request.session.items
        if hasattr(item, "callspec") and isinstance(item.callspec.params.get("case"), Case)
    }
    wanted = {(case.app.name, case.driver) for case in CASES if case.id in selected}
    outcomes = run_corpus([(app, driver) for app, driver in jobs() if (app.name, driver) in wanted])
    request.config.stash[OUTCOMES] = outcomes
    return {outcome.case: outcome for outcome in outcomes}


OUTCOMES = pytest.StashKey[list[EditOutcome]]()


@pytest.mark.timeout(CORPUS_TIMEOUT)
@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in CASES])
def test_edit_behaves_like_a_fresh_start_or_is_named(
    case: Case, corpus_outcomes: dict[str, EditOutcome]
) -> None:
    outcome = corpus_outcomes[case.id]
    if outcome.failing:
        pytest.fail(outcome.explain(), pytrace=False)


def test_corpus_covers_every_family_and_app_of_issue_19() -> None:
    families = {edit.family for app in APPS.values() for edit in app.edits}
    assert families == set(FAMILIES), f"families without an edit: {set(FAMILIES) - families}"
    assert {"lsp", "watch"} <= {driver for _, driver in jobs()}
