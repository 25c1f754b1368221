"""Errors that carry the process exit code of the command-line contract (docs/cli.md)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2
EXIT_UNAVAILABLE = 3
EXIT_CANCELLED = 130


class IgtkError(Exception):
    """Base for errors an operator must read; `str()` is the message shown."""

    exit_code = EXIT_FAILED


class InvalidInput(IgtkError):
    """Bad playbook, parameter or argument: nothing ran."""

    exit_code = EXIT_INVALID


class ServiceUnavailable(IgtkError):
    """A needed service (vault, browser, gateway) cannot be reached."""

    exit_code = EXIT_UNAVAILABLE
