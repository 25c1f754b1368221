"""Fuzzing the loader with mutations of the shipped playbooks (issue 15, item 5): `igtk validate`
exits 0 or 2, never with a traceback, within bounded CPU time and memory. A bounded number of
examples here; benchmarks/playbook_fuzz.py runs thousands and prints the count of crashes."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.support.playbook_fuzz import SHIPPED, mutated_playbook, validate


@pytest.fixture(scope="module")
def folder() -> Path:
    with tempfile.TemporaryDirectory(prefix="igtk-fuzz-") as name:
        yield Path(name)


def test_there_are_shipped_playbooks_to_mutate() -> None:
    assert len(SHIPPED) >= 20


@settings(max_examples=120, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=mutated_playbook())
def test_mutated_playbooks_exit_0_or_2_within_bounds(text: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IGTK_HOME", str(folder / "home"))
    outcome = validate(text, folder)
    assert outcome.ok, f"{outcome.crash}\n--- playbook ---\n{text[:3000]}"


def test_a_known_bomb_is_refused_within_the_bounds(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bounds are live: the billion-laughs file that took 4.8 s and 414 MB is refused inside them."""
    monkeypatch.setenv("IGTK_HOME", str(folder / "home"))
    laughs = "".join(f"{n}: &{n} [{', '.join([f'*{p}' if p else 'lol'] * 9)}]\n"
                     for p, n in zip(["", "a", "b", "c", "d", "e", "f", "g", "h"], "abcdefghi"))
    outcome = validate(laughs, folder)
    assert outcome.ok and outcome.code == 2, outcome
