"""Settings layering and IGTK_HOME paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from igtk_tui.config import Settings, load_settings
from igtk_tui.errors import InvalidInput
from igtk_tui.paths import resolve_paths


def test_igtk_home_roots_every_path(tmp_path: Path) -> None:
    paths = resolve_paths({"IGTK_HOME": str(tmp_path)})
    every = paths.as_dict()
    assert {"config_dir", "data_dir", "state_dir", "config_file", "db_file", "artifacts_dir",
            "user_playbooks_dir", "vault_file", "logs_dir", "crash_dir", "user_themes_dir"} <= set(every)
    for name, value in every.items():
        assert Path(value).is_relative_to(tmp_path.resolve()), name
    assert paths.execution_artifacts("abc") == paths.artifacts_dir / "abc"


def test_settings_layers_config_file_then_environment_then_cli(tmp_path: Path) -> None:
    paths = resolve_paths({"IGTK_HOME": str(tmp_path)})
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text("[engine]\nexecution_timeout = 600\n\n[gateway]\nverify_tls = false\n")
    s = load_settings(paths, {})
    assert s.execution_timeout == 600.0 and s.verify_tls is False
    assert str(paths.config_file) in s.sources
    s = load_settings(paths, {"IGTK_EXECUTION_TIMEOUT": "30", "IGTK_VERIFY_TLS": "yes"})
    assert s.execution_timeout == 30.0 and s.verify_tls is True
    s = load_settings(paths, {"IGTK_EXECUTION_TIMEOUT": "30"}, execution_timeout=5.0)
    assert s.execution_timeout == 5.0 and s.sources[-1] == "command line"
    # 0 or "none" means no limit.
    assert load_settings(paths, {"IGTK_EXECUTION_TIMEOUT": "0"}).execution_timeout is None
    assert Settings().execution_timeout == 4 * 3600.0


def test_unknown_or_bad_settings_are_reported(tmp_path: Path) -> None:
    paths = resolve_paths({"IGTK_HOME": str(tmp_path)})
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text("execution_timout = 5\n")
    with pytest.raises(InvalidInput, match="unknown setting 'execution_timout' \\(did you mean 'execution_timeout'\\?\\)"):
        load_settings(paths, {})
    paths.config_file.write_text("")
    with pytest.raises(InvalidInput, match="IGTK_EXECUTION_TIMEOUT: setting 'execution_timeout': must be a number, "
                       "got 'soon'"):
        load_settings(paths, {"IGTK_EXECUTION_TIMEOUT": "soon"})


def test_execution_ids_are_random_version_4_uuids() -> None:
    import uuid

    from igtk_tui.engine.execution import _uuid4

    ids = {_uuid4() for _ in range(200)}
    assert len(ids) == 200
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122
