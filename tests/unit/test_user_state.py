"""The state the CSV form remembers (muscle_tui/user_state.py): read leniently, written atomically."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from muscle_tui.user_state import (
    MAX_STATE_BYTES,
    STATE_ENV_VARIABLE,
    UserState,
    UserStateError,
    first_warning,
    load_user_state,
    remember_export,
    save_user_state,
    state_path,
)


def test_the_environment_names_the_file(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(STATE_ENV_VARIABLE, str(tmp_path / "mine.json"))
    assert state_path() == tmp_path / "mine.json"
    monkeypatch.delenv(STATE_ENV_VARIABLE)
    assert state_path().parts[-2:] == ("muscle-tui", "state.json")


def test_the_autouse_fixture_points_every_test_at_a_missing_file(isolated_user_state) -> None:
    assert state_path() == isolated_user_state and not isolated_user_state.exists()
    assert load_user_state() == UserState()


def test_remember_writes_atomically_mode_0600_and_reads_back(tmp_path) -> None:
    path = tmp_path / "new" / "state.json"
    assert remember_export("long", tmp_path, path) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text()) == {"csv_template": "long", "export_folder": str(tmp_path)}
    assert load_user_state(path) == UserState("long", tmp_path)
    remember_export("wide", tmp_path / "other", path)
    assert load_user_state(path) == UserState("wide", tmp_path / "other")
    assert sorted(p.name for p in path.parent.iterdir()) == ["state.json"], "no temporary file left"


def test_a_relative_folder_is_remembered_absolute(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "state.json"
    remember_export("wide", Path("sub"), path)
    assert load_user_state(path).export_folder == tmp_path / "sub"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"csv_template": "long"', "not valid JSON (line 1"),
        (b"[1, 2]", "not a JSON object"),
        (b"\xff\xfe", "not UTF-8 text"),
        (b" " * (MAX_STATE_BYTES + 1), "larger than 64 KiB"),
    ],
)
def test_a_malformed_file_is_ignored_with_one_line(tmp_path, content, problem) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    path.chmod(0o600)
    state = load_user_state(path)
    assert (state.csv_template, state.export_folder) == (None, None)
    assert state.warning is not None and "\n" not in state.warning
    assert state.warning.startswith(f"{path}: {problem}") and state.warning.endswith(
        "ignored (the form starts from its defaults)"
    )


def test_values_that_cannot_be_used_are_left_out(tmp_path) -> None:
    path = tmp_path / "state.json"
    for document in (
        {"csv_template": "../evil", "export_folder": "relative/folder"},
        {"csv_template": 42, "export_folder": ["x"]},
        {"csv_template": "", "export_folder": "/a\x00b"},
    ):
        path.write_text(json.dumps(document))
        assert load_user_state(path) == UserState()
    path.write_text(json.dumps({"csv_template": "long", "unknown": 1}))
    assert load_user_state(path) == UserState("long")


def test_a_directory_or_a_file_others_can_write_is_not_used(tmp_path) -> None:
    folder = tmp_path / "state.json"
    folder.mkdir()
    assert "not a regular file" in (load_user_state(folder).warning or "")
    path = tmp_path / "shared.json"
    path.write_text(json.dumps({"csv_template": "long"}))
    path.chmod(0o666)
    state = load_user_state(path)
    assert state.csv_template is None and "can write it" in (state.warning or "")


def test_a_state_that_cannot_be_written_is_one_clear_error(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(UserStateError, match=r"cannot remember the form's choices in .*state\.json"):
        save_user_state(UserState("long"), blocker / "state.json")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_ignored(tmp_path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{}")
    path.chmod(0)
    assert "cannot read" in (load_user_state(path).warning or "")


def test_each_warning_is_given_once() -> None:
    state = UserState(warning="/x/state.json: not a JSON object; ignored (unit test)")
    assert first_warning(state) == state.warning
    assert first_warning(state) is None
    assert first_warning(UserState()) is None
