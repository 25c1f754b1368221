"""argparse value types shared by sub-commands, so a bad value names the exact parameter."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def whole_number(minimum: int) -> Callable[[str], int]:
    """A whole number of at least `minimum`; argparse reports the option it came from."""

    def parse(text: str) -> int:
        from igtk_tui.values import check_bounds, coerce

        try:
            value: int = coerce("integer", text)
            check_bounds(value, minimum=minimum)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return value

    return parse
