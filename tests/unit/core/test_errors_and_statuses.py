"""One exception tree with the exit codes of docs/cli.md, and one definition of the live and
resumable execution statuses shared by the store, the CLI and the TUI."""

from __future__ import annotations

import pytest

from igtk_tui.browser.discovery import BrowserUnavailable
from igtk_tui.engine.context import StepFailure
from igtk_tui.engine.events import LIVE_STATUSES, RESUMABLE_STATUSES, ExecutionStatus
from igtk_tui.engine.nesting import NestingError
from igtk_tui.errors import EXIT_FAILED, EXIT_INVALID, EXIT_UNAVAILABLE, IgtkError
from igtk_tui.gateway.errors import GatewayError, GatewayUnreachable, Unauthorised
from igtk_tui.playbook.errors import PlaybookError
from igtk_tui.store.db import StoreBusy, StoreError
from igtk_tui.store.playbook_meta import MetadataUnavailable
from igtk_tui.tui.viewmodel import ExecutionView
from igtk_tui.vault.errors import VaultCorrupt, VaultLocked, VaultUnavailable

OPERATOR_ERRORS = [
    (PlaybookError, EXIT_INVALID),
    (NestingError, EXIT_INVALID),
    (StepFailure, EXIT_FAILED),
    (GatewayError, EXIT_FAILED),
    (Unauthorised, EXIT_FAILED),
    (GatewayUnreachable, EXIT_UNAVAILABLE),
    (BrowserUnavailable, EXIT_UNAVAILABLE),
    (VaultLocked, EXIT_UNAVAILABLE),
    (VaultUnavailable, EXIT_UNAVAILABLE),
    (VaultCorrupt, EXIT_UNAVAILABLE),
    (StoreError, EXIT_UNAVAILABLE),
    (StoreBusy, EXIT_UNAVAILABLE),
    (MetadataUnavailable, EXIT_UNAVAILABLE),
]


@pytest.mark.parametrize(("error", "code"), OPERATOR_ERRORS, ids=[e.__name__ for e, _ in OPERATOR_ERRORS])
def test_every_operator_error_is_an_igtk_error_with_its_exit_code(error: type[IgtkError], code: int) -> None:
    assert issubclass(error, IgtkError)
    assert error.exit_code == code


def test_an_unusable_history_database_ends_a_command_with_exit_3(home) -> None:
    from igtk_tui.cli import main

    db = home / "data" / "igtk.db"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not a SQLite database" * 100)
    assert main(["history"]) == EXIT_UNAVAILABLE


def test_live_resumable_and_completed_partition_the_execution_statuses() -> None:
    live, resumable = set(LIVE_STATUSES), set(RESUMABLE_STATUSES)
    assert not live & resumable
    assert live | resumable | {ExecutionStatus.COMPLETED} == set(ExecutionStatus)
    assert not any(s.finished for s in live)


@pytest.mark.parametrize("status", ["pending", "running", "paused"])
def test_views_and_rows_use_the_engine_live_set(status: str) -> None:
    # Rows and views carry plain strings; the engine's members compare equal to them.
    assert status in LIVE_STATUSES
    assert ExecutionView("x", 1, "playbook", status=status).live


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled", "interrupted"])
def test_a_finished_view_is_not_live(status: str) -> None:
    assert not ExecutionView("x", 1, "playbook", status=status).live
