"""CSV export templates: MUSCLE's ten, user templates and overrides, clear errors, saving."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import muscle_tui
from muscle_tui.cli import main
from muscle_tui.db.filters import NO_FILTER, SessionFilter
from muscle_tui.errors import NotFoundError
from muscle_tui.export.csv import (
    BUILTIN_ORDER,
    OPTIONS,
    RESULT_FIELDS,
    SESSION_FIELDS,
    CsvSelection,
    SelectionError,
    TemplateError,
    builtin_templates_dir,
    find_template,
    load_templates,
    read_template,
    save_template,
    template_toml,
    user_templates_dir,
)

S8 = tuple(key for key in SESSION_FIELDS if key != "session_id")  # MUSCLE's eight
S5 = ("block_name", "participant_id", "session_start", "session_end", "final_score")
S4 = ("block_name", "participant_id", "participant_country", "participant_access_info")
R6 = (
    "section_name",
    "result_created_at",
    "result_score",
    "result_comment",
    "expected_response",
    "given_response",
)
ALL_OPTIONS = {
    "export_profile",
    "session_data",
    "convert_session_json",
    "decision_time",
    "result_config",
    "convert_result_json",
}

# CSV-SPEC "The ten templates", transcribed.
SPEC = {
    "wide": ("CSV wide data format, All data", S8, R6, ALL_OPTIONS | {"wide_format"}),
    "wide_json": (
        "CSV wide data format, All data, Keep JSON",
        S8,
        R6,
        {"export_profile", "session_data", "decision_time", "result_config", "wide_format"},
    ),
    "wide_results": (
        "CSV wide data format, Session data, Results",
        S5,
        R6,
        {"session_data", "convert_session_json", "decision_time", "wide_format"},
    ),
    "wide_results_json": (
        "CSV wide data format, Session data as JSON, Results, Result data as JSON",
        S5,
        R6,
        {"session_data", "decision_time", "result_config", "wide_format"},
    ),
    "wide_profile": ("CSV wide data format, Profile Q&A", S4, (), {"export_profile", "wide_format"}),
    "long": ("CSV long data format, All data", S8, R6, ALL_OPTIONS),
    "long_json": (
        "CSV long data format, All data, Keep JSON",
        S8,
        R6,
        {"export_profile", "session_data", "decision_time", "result_config"},
    ),
    "long_results": (
        "CSV long data format, Session data, Results",
        S5,
        R6,
        {"session_data", "convert_session_json", "decision_time"},
    ),
    "long_results_json": (
        "CSV long data format, Session data as JSON, Results, Result data as JSON",
        S5,
        R6,
        {"session_data", "decision_time", "result_config"},
    ),
    "long_profile": ("CSV long data format, Profile Q&A", S4, (), {"export_profile"}),
}

VALID = """\
name = "mine"
label = "My template"
session_fields = ["participant_id"]
result_fields = ["given_response"]
options = ["wide_format"]
"""


@pytest.fixture(autouse=True)
def config_home(tmp_path, monkeypatch) -> Path:
    """A private user config directory for each test."""
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_user_templates_dir_is_in_the_user_config_dir(config_home):
    assert user_templates_dir() == config_home / "muscle-tui" / "templates"


def test_builtins_are_muscles_ten_in_form_order_then_muscle_2026():
    templates, errors = load_templates()
    assert errors == []
    assert [t.name for t in templates] == list(BUILTIN_ORDER)
    assert [*SPEC, "muscle_2026"] == list(BUILTIN_ORDER)
    *form, muscle_2026 = templates
    assert muscle_2026.builtin and muscle_2026.label == "MUSCLE 2026's own CSV (fixed layout)"
    assert muscle_2026.selection == CsvSelection(layout="muscle_2026")
    assert muscle_2026.filters == NO_FILTER
    for template in form:
        label, session_fields, result_fields, options = SPEC[template.name]
        assert template.builtin and not template.overrides_builtin and template.origin == "built-in"
        assert template.label == label
        assert template.selection == CsvSelection(session_fields, result_fields, frozenset(options))
        assert template.selection.layout == "form" and template.filters == NO_FILTER
        assert template.source == builtin_templates_dir() / f"{template.name}.toml"


def test_builtins_load_from_an_installed_package(tmp_path):
    """In a wheel the templates sit inside the package (muscle_tui/export/csv/builtin)."""
    site = tmp_path / "site"
    package = Path(muscle_tui.__file__).parent
    shutil.copytree(package, site / "muscle_tui", ignore=shutil.ignore_patterns("__pycache__"))
    code = (
        "from muscle_tui.export.csv import builtin_templates_dir, load_templates;"
        "t, e = load_templates(user_dir=__import__('pathlib').Path('/nonexistent'));"
        "print(builtin_templates_dir()); print(len(t), len(e))"
    )
    env = dict(os.environ, PYTHONPATH=str(site))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert out.stdout.split() == [str(site / "muscle_tui" / "export" / "csv" / "builtin"), "11", "0"]


def test_user_template_overrides_builtin_and_listing_says_so(config_home):
    path = write(user_templates_dir(), "wide.toml", VALID.replace('"mine"', '"wide"'))
    write(user_templates_dir(), "mine.toml", VALID)
    templates, errors = load_templates()
    assert errors == []
    by_name = {t.name: t for t in templates}
    assert [t.name for t in templates] == [*BUILTIN_ORDER, "mine"]
    wide = by_name["wide"]
    assert (wide.builtin, wide.overrides_builtin, wide.source) == (False, True, path)
    assert wide.origin == f"{path} (overrides built-in)"
    assert wide.selection == CsvSelection(("participant_id",), ("given_response",), {"wide_format"})
    assert by_name["mine"].origin == str(user_templates_dir() / "mine.toml")
    assert find_template("wide") == wide


def test_extra_paths_load_files_and_directories(tmp_path):
    single = write(tmp_path / "one", "a.toml", VALID.replace('"mine"', '"a"'))
    write(tmp_path / "many", "b.toml", VALID.replace('"mine"', '"b"'))
    write(tmp_path / "many", "notes.txt", "not a template")
    templates, errors = load_templates([single, tmp_path / "many", tmp_path / "missing"])
    assert {"a", "b"} <= {t.name for t in templates}
    assert [str(e) for e in errors] == [f"{tmp_path / 'missing'}: no such file or directory"]


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        ('name = "x"\nlabel = "L"\nsession_fields = ["a",\n  oops\n', 4, None, "not valid TOML"),
        ('name = "x"\nlabel = = "L"\n', 2, "label", "not valid TOML"),
        (VALID + "colour = 'blue'\n", 6, "colour", "unknown key 'colour'"),
        (
            VALID.replace('"given_response"', '"given_response", "shoe_size"'),
            4,
            "result_fields",
            "unknown result field 'shoe_size'",
        ),
        (
            VALID.replace('["participant_id"]', '[\n  "participant_id",\n  "age",\n]'),
            5,
            "session_fields",
            "unknown session field 'age'",
        ),
        (VALID.replace('["wide_format"]', '["wide"]'), 5, "options", "unknown option 'wide'"),
        (VALID.replace('label = "My template"\n', ""), None, "label", "missing key 'label'"),
        (
            VALID.replace('["wide_format"]', '"wide_format"'),
            5,
            "options",
            "options must be a list of strings",
        ),
        (VALID.replace('"mine"', '"my template!"'), 1, "name", "is not a template name"),
        (VALID + "sort_columns = 'yes'\n", 6, "sort_columns", "sort_columns must be true or false"),
        (VALID + "layout = 'muscle'\n", 6, "layout", "layout must be one of form, muscle_2026"),
        (VALID + "filters = 3\n", 6, "filters", "filters must be a table"),
        (
            VALID + "\n[filters]\nfinished_only = 'yes'\n",
            8,
            "filters.finished_only",
            "finished_only must be true or false",
        ),
        (
            VALID + "[filters]\nfinished_only = true\nstarted_after = 'last week'\n",
            8,
            "filters.started_after",
            "is not a date",
        ),
        (
            VALID + "[filters]\nexclude_participants = 'test-*'\n",
            7,
            "filters.exclude_participants",
            "exclude_participants must be a list",
        ),
        (VALID + "[filters]\ncountry = 'nl'\n", 7, "filters.country", "unknown filter 'country'"),
        (
            VALID + "filters = { finished_only = 1 }\n",
            6,
            "filters.finished_only",
            "finished_only must be true or false",
        ),
    ],
)
def test_bad_template_is_a_clear_error_and_the_others_still_load(tmp_path, text, line, key, words):
    bad = write(user_templates_dir(), "bad.toml", text)
    write(user_templates_dir(), "good.toml", VALID)
    templates, errors = load_templates()
    assert "mine" in {t.name for t in templates}
    assert len(templates) == len(BUILTIN_ORDER) + 1
    (error,) = errors
    assert (error.path, error.line, error.key) == (bad, line, key)
    message = str(error)
    assert message.startswith(f"{bad}:{line}: " if line else f"{bad}: ")
    assert words in message
    assert "\n" not in message
    if key and "TOML" not in words:
        assert repr(key) in message or key in message


def test_duplicate_name_in_one_place_is_an_error_naming_both_files():
    first = write(user_templates_dir(), "a.toml", VALID)
    second = write(user_templates_dir(), "b.toml", VALID.replace('"My template"', '"Another"'))
    templates, errors = load_templates()
    (error,) = errors
    assert (error.path, error.line, error.key) == (second, 1, "name")
    assert f"duplicate template name 'mine' (also in {first})" in str(error)
    assert [t.label for t in templates if t.name == "mine"] == ["My template"]


def test_not_utf8_is_a_clear_error():
    bad = user_templates_dir() / "latin.toml"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(VALID.replace("My template", "Mon modèle").encode("latin-1"))
    _, errors = load_templates()
    assert [str(e) for e in errors] == [f"{bad}: not UTF-8 text"]


def test_find_template_by_name_or_path(tmp_path):
    assert find_template("long").name == "long"
    path = write(tmp_path, "t.toml", VALID)
    assert find_template(str(path)).source == path
    with pytest.raises(NotFoundError, match="no template named 'nope'"):
        find_template("nope")
    with pytest.raises(TemplateError, match="cannot read"):
        find_template(str(tmp_path / "missing.toml"))


def test_save_writes_private_files_in_a_private_directory():
    selection = CsvSelection(("participant_id",), ("given_response",), {"decision_time"}, sort_columns=True)
    path = save_template("mine", "Mine, with ünïcode", selection)
    assert path == user_templates_dir() / "mine.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(user_templates_dir().stat().st_mode) == 0o700
    loaded = read_template(path)
    assert (loaded.name, loaded.label, loaded.selection) == ("mine", "Mine, with ünïcode", selection)
    assert "sort_columns = true" in path.read_text()


def test_save_refuses_to_replace_unless_asked():
    first = CsvSelection(("participant_id",))
    second = CsvSelection(("block_id",))
    path = save_template("mine", "First", first)
    with pytest.raises(TemplateError, match="already exists"):
        save_template("mine", "Second", second)
    assert read_template(path).label == "First"
    save_template("mine", "Second", second, replace=True)
    assert read_template(path).selection == second


def test_save_never_writes_over_a_builtin():
    before = {p.name: p.read_bytes() for p in builtin_templates_dir().iterdir()}
    with pytest.raises(TemplateError, match="built-in"):
        save_template("wide", "Mine", CsvSelection())
    with pytest.raises(TemplateError, match="built-in templates"):
        save_template("other", "Mine", CsvSelection(), directory=builtin_templates_dir(), replace=True)
    path = save_template("wide", "My wide", CsvSelection(("block_id",)), replace=True)
    assert path.parent == user_templates_dir()
    assert {p.name: p.read_bytes() for p in builtin_templates_dir().iterdir()} == before
    (wide,) = [t for t in load_templates()[0] if t.name == "wide"]
    assert wide.overrides_builtin and wide.label == "My wide"


@pytest.mark.parametrize("name", ["", "has space", "../escape", "a/b", "x" * 65, "-dash"])
def test_save_refuses_names_that_are_not_template_names(name):
    with pytest.raises(TemplateError, match="not a template name"):
        save_template(name, "Label", CsvSelection())
    assert not user_templates_dir().exists()


def test_selection_rejects_unknown_keys():
    with pytest.raises(SelectionError, match="unknown session field 'nope'"):
        CsvSelection(("nope",))
    with pytest.raises(SelectionError, match="unknown option 'wide'"):
        CsvSelection((), (), {"wide"})
    with pytest.raises(SelectionError, match="list of keys"):
        CsvSelection("block_id")


template_names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,20}", fullmatch=True).filter(
    lambda n: n not in BUILTIN_ORDER
)
labels = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1).filter(lambda s: s.strip())
any_selection = st.builds(
    CsvSelection,
    session_fields=st.lists(st.sampled_from(list(SESSION_FIELDS)), unique=True).map(tuple),
    result_fields=st.lists(st.sampled_from(list(RESULT_FIELDS)), unique=True).map(tuple),
    options=st.frozensets(st.sampled_from(list(OPTIONS))),
    sort_columns=st.booleans(),
    layout=st.sampled_from(["form", "muscle_2026"]),
)
dates = st.one_of(
    st.none(),
    st.dates().map(str),
    st.datetimes(timezones=st.one_of(st.none(), st.timezones())).map(lambda d: d.isoformat()),
)
any_filters = st.builds(
    SessionFilter,
    finished_only=st.booleans(),
    started_after=dates,
    started_before=dates,
    exclude_participants=st.lists(st.text(min_size=1), max_size=3).map(tuple),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=template_names, label=labels, selection=any_selection, filters=any_filters)
def test_any_template_written_and_read_back_is_the_same(tmp_path, name, label, selection, filters):
    path = save_template(name, label, selection, filters=filters, directory=tmp_path / "t", replace=True)
    loaded = read_template(path)
    assert (loaded.name, loaded.label, loaded.selection, loaded.filters) == (name, label, selection, filters)
    assert template_toml(name, label, loaded.selection, loaded.filters) == path.read_text(encoding="utf-8")


def test_filters_and_layout_are_saved_in_the_template():
    filters = SessionFilter(
        finished_only=True, started_after="2025-03-01", exclude_participants=("test-*", "pilot?")
    )
    selection = CsvSelection(layout="muscle_2026")
    path = save_template("mine", "Finished, no tests", selection, filters=filters)
    assert path.read_text(encoding="utf-8") == (
        'name = "mine"\n'
        'label = "Finished, no tests"\n'
        'layout = "muscle_2026"\n'
        "session_fields = []\n"
        "result_fields = []\n"
        "options = []\n"
        "\n"
        "[filters]\n"
        "finished_only = true\n"
        'started_after = "2025-03-01"\n'
        "exclude_participants = [\n"
        '    "test-*",\n'
        '    "pilot?",\n'
        "]\n"
    )
    loaded = find_template("mine")
    assert (loaded.selection, loaded.filters) == (selection, filters)
    plain = save_template("plain", "No filters", CsvSelection(("block_id",)))
    assert "[filters]" not in plain.read_text() and "layout" not in plain.read_text()
    assert read_template(plain).filters == NO_FILTER


def test_a_fixed_layout_template_needs_no_fields_but_a_form_template_does(tmp_path):
    fixed = write(tmp_path, "fixed.toml", 'name = "f"\nlabel = "F"\nlayout = "muscle_2026"\n')
    assert read_template(fixed).selection == CsvSelection(layout="muscle_2026")
    form = write(tmp_path, "form.toml", 'name = "f"\nlabel = "F"\nlayout = "form"\n')
    with pytest.raises(TemplateError, match="missing key 'session_fields'"):
        read_template(form)


def test_muscle_tui_templates_lists_muscle_2026(capsys):
    code = main(["templates"])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    assert "muscle_2026" in out and "MUSCLE 2026's own CSV" in out


# ---------------------------------------------------------------------------------------------
# User templates that are not the user's alone are refused, as OpenSSH and git treat their config.

OTHER_UID = 65534  # nobody
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")


def theirs(folder: Path) -> Path:
    """A valid template named `theirs` in `folder`, beside the user's own `mine`."""
    write(folder, "mine.toml", VALID)
    return write(folder, "theirs.toml", VALID.replace('"mine"', '"theirs"'))


@needs_root
def test_a_user_template_another_user_owns_is_refused():
    path = theirs(user_templates_dir())
    os.chown(path, OTHER_UID, OTHER_UID)
    templates, errors = load_templates()
    assert [t.name for t in templates] == [*BUILTIN_ORDER, "mine"]
    assert [str(e) for e in errors] == [
        f"{path}: refused: it belongs to another user (uid {OTHER_UID}), who could change your exports"
    ]


@pytest.mark.parametrize(
    ("mode", "who"), [(0o664, "its group"), (0o646, "other users"), (0o666, "group and others")]
)
def test_a_user_template_others_can_write_is_refused(mode, who):
    path = theirs(user_templates_dir())
    path.chmod(mode)
    templates, errors = load_templates()
    assert [t.name for t in templates] == [*BUILTIN_ORDER, "mine"]
    assert [str(e) for e in errors] == [
        f"{path}: refused: {who} can write it (mode {mode:04o}; chmod go-w makes it yours alone)"
    ]


@pytest.mark.parametrize("unsafe", ["owner", "group-writable", "world-writable"])
def test_a_templates_folder_that_is_not_the_users_alone_loads_none_of_its_templates(unsafe):
    folder = user_templates_dir()
    theirs(folder)
    if unsafe == "owner":
        if os.geteuid() != 0:
            pytest.skip("giving a folder to another user needs root")
        os.chown(folder, OTHER_UID, OTHER_UID)
        reason = f"it belongs to another user (uid {OTHER_UID})"
    else:
        folder.chmod(0o775 if unsafe == "group-writable" else 0o757)
        reason = "can write it"
    templates, errors = load_templates()
    assert [t.name for t in templates] == list(BUILTIN_ORDER)
    (error,) = errors
    assert error.path == folder
    assert str(error).startswith(f"{folder}: refused: ")
    assert reason in str(error) and str(error).endswith("; none of its templates were loaded")


def test_the_users_own_templates_and_roots_load(tmp_path):
    """0644 files in a 0755 folder, owned by the user (root, when the tests run as root), are fine."""
    folder = user_templates_dir()
    theirs(folder)
    folder.chmod(0o755)
    assert [t.name for t in load_templates()[0]][-2:] == ["mine", "theirs"]
    assert load_templates()[1] == []


def test_muscle_tui_templates_says_why_a_template_was_refused(capsys):
    path = theirs(user_templates_dir())
    path.chmod(0o666)
    code = main(["templates"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "mine" in out and "theirs" not in out
    assert (
        err
        == f"muscle-tui: {path}: refused: group and others can write it (mode 0666; chmod go-w makes it yours alone)\n"
    )


def test_saving_into_a_templates_folder_others_can_write_is_refused():
    folder = user_templates_dir()
    folder.mkdir(parents=True)
    folder.chmod(0o777)
    with pytest.raises(TemplateError, match="not saving into it: group and others can write it"):
        save_template("mine", "Mine", CsvSelection(("block_id",)))
    assert list(folder.iterdir()) == []


def test_a_fifo_given_as_a_template_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    found: list[object] = []
    reader = threading.Thread(target=lambda: found.append(load_templates([fifo])), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert found, "loading the templates waited for a writer on the FIFO"
    _, errors = found[0]
    assert [str(e) for e in errors] == [f"{fifo}: not a regular file"]
