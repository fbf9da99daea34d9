"""The user's config file (muscle_tui/user_config.py): every key, each malformed case as one warning
line naming the file and the key with the defaults applying, the file's ownership rule, and the
export directory created 0700."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import platformdirs
import pytest

from muscle_tui.user_config import (
    CONFIG_ENV_VARIABLE,
    MAX_CONFIG_BYTES,
    UserConfig,
    UserConfigError,
    config_path,
    current_user_config,
    export_directory,
    load_user_config,
    suggested_export_directory,
)

OTHER_UID = 65534  # nobody
FULL = '[export]\ndirectory = "~/muscle exports/2026"\ncsv_template = "long"\n'


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


def write_config(tmp_path: Path, text: str | bytes, mode: int = 0o600) -> Path:
    path = tmp_path / "config.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


# --- where the file is ------------------------------------------------------------------------


def test_the_file_is_in_the_user_config_dir_unless_the_environment_names_another(
    tmp_path, monkeypatch, home
) -> None:
    monkeypatch.delenv(CONFIG_ENV_VARIABLE)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_path() == platformdirs.user_config_path("muscle-tui") / "config.toml"
    assert config_path() == tmp_path / "xdg" / "muscle-tui" / "config.toml"
    monkeypatch.setenv(CONFIG_ENV_VARIABLE, "~/elsewhere.toml")
    assert config_path() == home / "elsewhere.toml"
    monkeypatch.setenv(CONFIG_ENV_VARIABLE, "  ")
    assert config_path() == tmp_path / "xdg" / "muscle-tui" / "config.toml"


def test_the_tests_never_read_the_real_config(isolated_user_config) -> None:
    assert config_path() == isolated_user_config
    assert not isolated_user_config.exists()
    assert load_user_config() == UserConfig(path=isolated_user_config)


# --- every key --------------------------------------------------------------------------------


def test_a_missing_file_gives_the_defaults_without_a_warning(tmp_path) -> None:
    config = load_user_config(tmp_path / "absent.toml")
    assert config == UserConfig(path=tmp_path / "absent.toml")
    assert (config.export_directory, config.csv_template, config.warnings) == (None, None, ())
    assert config.csv_template_or_default == "wide"


def test_every_key_is_read(tmp_path, home) -> None:
    path = write_config(tmp_path, FULL)
    config = load_user_config(path)
    assert config == UserConfig(home / "muscle exports" / "2026", "long", (), path)
    assert config.csv_template_or_default == "long"


def test_an_absolute_directory_and_an_empty_export_table(tmp_path) -> None:
    path = write_config(tmp_path, f'[export]\ndirectory = "{tmp_path}/out"\n')
    assert load_user_config(path) == UserConfig(tmp_path / "out", None, (), path)
    path = write_config(tmp_path, "# nothing yet\n[export]\n")
    assert load_user_config(path) == UserConfig(path=path)


def test_the_environment_variable_names_the_file(tmp_path, monkeypatch) -> None:
    path = write_config(tmp_path, '[export]\ncsv_template = "long_json"\n')
    monkeypatch.setenv(CONFIG_ENV_VARIABLE, str(path))
    assert load_user_config().csv_template == "long_json"


# --- malformed keys: one line naming the file and the key; the defaults apply ----------------

MALFORMED_KEYS = [
    ("[export]\ndirectory = 3\n", "[export] directory must be text", "a number"),
    ("[export]\ndirectory = ['a']\n", "[export] directory must be text", "a list"),
    ("[export]\ndirectory = '  '\n", "[export] directory is empty", "the current folder"),
    ('[export]\ndirectory = "relative/out"\n', "[export] directory must be an absolute path", "relative/out"),
    ('[export]\ndirectory = "/a\\u0000b"\n', "[export] directory holds a NUL character", "current folder"),
    (
        '[export]\ndirectory = "~no_such_user_mtui/x"\n',
        "[export] directory starts with ~no_such_user",
        "no user",
    ),
    ("[export]\ncsv_template = true\n", "[export] csv_template must be text", "true/false"),
    ("[export]\ncsv_template = 1979-05-27\n", "[export] csv_template must be text", "a date"),
    (
        '[export]\ncsv_template = "my template!"\n',
        "[export] csv_template is 'my template!', not a template",
        "(wide)",
    ),
    ("export = 1\n", "export must be a table", "using the defaults"),
    ("[[export]]\ndirectory = '/tmp'\n", "export must be a table", "a list"),
]


@pytest.mark.parametrize(("text", "says", "also"), MALFORMED_KEYS)
def test_a_malformed_key_is_one_line_naming_file_and_key_and_its_default_applies(
    tmp_path, text, says, also
) -> None:
    path = write_config(tmp_path, text)
    config = load_user_config(path)
    assert (config.export_directory, config.csv_template, config.path) == (None, None, path)
    (warning,) = config.warnings
    assert warning.startswith(f"{path}: ")
    assert says in warning and also in warning
    assert "\n" not in warning


def test_a_malformed_key_leaves_the_other_key_in_force(tmp_path, home) -> None:
    path = write_config(tmp_path, '[export]\ndirectory = "~/out"\ncsv_template = 5\n')
    config = load_user_config(path)
    assert (config.export_directory, config.csv_template) == (home / "out", None)
    assert config.warnings == (
        f'{path}: [export] csv_template must be text (a template name such as "long"), not a number; '
        "using the default (wide)",
    )


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        (
            '[export]\ncolour = "red"\n',
            "unknown key [export] colour ignored (muscle-tui knows directory, csv_template)",
        ),
        ("[colours]\nfg = 1\n", "unknown key [colours] ignored (muscle-tui knows [export])"),
        ("editor = 'vi'\n", "unknown key editor ignored (muscle-tui knows [export])"),
        ('[export]\n"odd\\u001b[31m key" = 1\n', 'unknown key [export] "odd\\u001b[31m key" ignored'),
    ],
)
def test_an_unknown_key_is_a_warning_naming_file_and_key_not_an_error(tmp_path, home, text, warning) -> None:
    if text.startswith("[export]"):
        text = text.replace("[export]\n", FULL)
    else:  # a table after [export], a top-level key before it
        text = FULL + text if text.startswith("[") else text + FULL
    path = write_config(tmp_path, text)
    config = load_user_config(path)
    assert (config.export_directory, config.csv_template) == (home / "muscle exports" / "2026", "long")
    (line,) = config.warnings
    assert line.startswith(f"{path}: {warning}")
    assert "\x1b" not in line


# --- a file that cannot be used: one line naming the file; the defaults apply ----------------


def only_warning(path: Path) -> str:
    config = load_user_config(path)
    assert (config.export_directory, config.csv_template) == (None, None)
    (warning,) = config.warnings
    assert warning.endswith("; using the defaults")
    return warning


def test_bad_toml_names_the_file_and_line(tmp_path) -> None:
    path = write_config(tmp_path, '[export]\ncsv_template = "long"\ndirectory = \n')
    assert only_warning(path) == (f"{path}:3: not valid TOML: Invalid value (column 13); using the defaults")
    path = write_config(tmp_path, "[export]\n[export]\n")
    assert only_warning(path).startswith(f"{path}:2: not valid TOML: ")


def test_text_that_is_not_utf8(tmp_path) -> None:
    path = write_config(tmp_path, b'[export]\n# caf\xe9\ncsv_template = "long"\n')
    assert only_warning(path) == f"{path}: not UTF-8 text (line 2); using the defaults"


def test_a_folder_or_a_fifo_is_not_a_config_file(tmp_path) -> None:
    folder = tmp_path / "config.toml"
    folder.mkdir()
    assert only_warning(folder) == f"{folder}: not a regular file; using the defaults"
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo, 0o600)
    assert only_warning(fifo) == f"{fifo}: not a regular file; using the defaults"  # and it did not block


def test_a_file_that_cannot_be_read(tmp_path) -> None:
    (tmp_path / "file").write_text("")
    path = tmp_path / "file" / "config.toml"
    assert only_warning(path) == f"{path}: cannot read: Not a directory; using the defaults"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_a_file_without_read_permission(tmp_path) -> None:
    path = write_config(tmp_path, FULL, mode=0o000)
    assert only_warning(path) == f"{path}: cannot read: Permission denied; using the defaults"


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path) -> None:
    path = write_config(tmp_path, FULL + "#" * MAX_CONFIG_BYTES)
    assert only_warning(path) == f"{path}: larger than 1 MiB, so not a config file; using the defaults"


@pytest.mark.parametrize(
    ("mode", "who"), [(0o620, "its group"), (0o602, "other users"), (0o666, "group and others")]
)
def test_a_file_others_can_write_is_refused_as_a_user_template_is(tmp_path, mode, who) -> None:
    path = write_config(tmp_path, FULL, mode=mode)
    assert only_warning(path) == (
        f"{path}: refused: {who} can write it (mode {mode:04o}; chmod go-w makes it yours alone); "
        "using the defaults"
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_file_another_user_owns_is_refused(tmp_path) -> None:
    path = write_config(tmp_path, FULL)
    os.chown(path, OTHER_UID, OTHER_UID)
    assert only_warning(path) == (
        f"{path}: refused: it belongs to another user (uid {OTHER_UID}), who could change your exports; "
        "using the defaults"
    )


def test_a_symlink_is_followed_and_what_it_points_to_is_checked(tmp_path, home) -> None:
    target = write_config(tmp_path, FULL)
    link = tmp_path / "link.toml"
    link.symlink_to(target)
    assert load_user_config(link).csv_template == "long"
    target.chmod(0o666)
    assert "refused: group and others can write it" in only_warning(link)


def test_a_file_readable_by_others_is_fine(tmp_path, home) -> None:
    assert load_user_config(write_config(tmp_path, FULL, mode=0o644)).warnings == ()


# --- the export directory ---------------------------------------------------------------------


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_no_directory_configured_is_none(tmp_path) -> None:
    assert export_directory(UserConfig()) is None


def test_the_directory_and_its_missing_parents_are_created_0700(tmp_path) -> None:
    previous = os.umask(0o022)
    try:
        wanted = tmp_path / "a" / "b" / "exports"
        config = UserConfig(export_directory=wanted, path=tmp_path / "config.toml")
        assert export_directory(config) == wanted
    finally:
        os.umask(previous)
    assert wanted.is_dir()
    assert [mode_of(p) for p in (tmp_path / "a", tmp_path / "a" / "b", wanted)] == [0o700] * 3
    assert export_directory(config) == wanted  # there already: used as it is


def test_an_existing_directory_keeps_its_mode(tmp_path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    assert export_directory(UserConfig(export_directory=folder)) == folder
    assert mode_of(folder) == 0o755


@pytest.mark.parametrize("kind", ["file", "dangling symlink"])
def test_a_non_directory_is_refused_in_one_line(tmp_path, kind) -> None:
    there = tmp_path / "exports"
    if kind == "file":
        there.write_text("not a folder")
    else:
        there.symlink_to(tmp_path / "nowhere")
    config = UserConfig(export_directory=there, path=tmp_path / "config.toml")
    with pytest.raises(UserConfigError) as raised:
        export_directory(config)
    assert str(raised.value) == (
        f"the export directory {there} ([export] directory in {tmp_path / 'config.toml'}) exists and "
        "is not a directory"
    )


def test_a_directory_that_cannot_be_created_is_one_line(tmp_path) -> None:
    (tmp_path / "file").write_text("")
    wanted = tmp_path / "file" / "exports"
    config = UserConfig(export_directory=wanted, path=tmp_path / "config.toml")
    with pytest.raises(UserConfigError) as raised:
        export_directory(config)
    assert str(raised.value) == (
        f"cannot create the export directory {wanted} ([export] directory in {tmp_path / 'config.toml'}): "
        "Not a directory"
    )
    assert "\n" not in str(raised.value)


# --- the process's config, for the terminal UI ------------------------------------------------


def test_the_process_reads_the_file_once_until_reloaded_or_another_file_is_named(
    tmp_path, monkeypatch
) -> None:
    path = write_config(tmp_path, '[export]\ncsv_template = "long"\n')
    monkeypatch.setenv(CONFIG_ENV_VARIABLE, str(path))
    assert current_user_config(reload=True).csv_template == "long"
    write_config(tmp_path, '[export]\ncsv_template = "wide_json"\n')
    assert current_user_config().csv_template == "long"
    assert current_user_config(reload=True).csv_template == "wide_json"
    other = tmp_path / "other.toml"
    monkeypatch.setenv(CONFIG_ENV_VARIABLE, str(other))
    assert current_user_config() == UserConfig(path=other)


def test_the_suggested_directory_is_created_or_still_suggested(tmp_path, monkeypatch) -> None:
    wanted = tmp_path / "exports"
    path = write_config(tmp_path, f'[export]\ndirectory = "{wanted}"\n')
    monkeypatch.setenv(CONFIG_ENV_VARIABLE, str(path))
    current_user_config(reload=True)
    assert suggested_export_directory() == wanted and mode_of(wanted) == 0o700
    (tmp_path / "file").write_text("")
    blocked = tmp_path / "file" / "exports"
    write_config(tmp_path, f'[export]\ndirectory = "{blocked}"\n')
    current_user_config(reload=True)
    assert suggested_export_directory() == blocked  # writing there will say why
    monkeypatch.setenv(CONFIG_ENV_VARIABLE, str(tmp_path / "absent.toml"))
    assert suggested_export_directory() is None


def test_a_problem_with_a_key_names_the_file_and_the_key(tmp_path) -> None:
    config = UserConfig(csv_template="mine", path=tmp_path / "config.toml")
    assert config.key_problem("csv_template", "no template named 'mine'") == (
        f"{tmp_path / 'config.toml'}: [export] csv_template: no template named 'mine'"
    )
