"""igtk's test suite, a package: its helpers are `tests.support.*` (see tests/support/__init__.py)."""

import pytest

# Asserts in the helpers fail with pytest's explanations, as in test modules (registered before
# the plugin imports them).
pytest.register_assert_rewrite("tests.support")
