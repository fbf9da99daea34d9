"""The config file's defaults in the headless commands: `[export] directory` is where every export
without --output goes (`export json|csv|parquet`, one block or --experiment), `[export] csv_template`
is the template of `export csv|parquet` without --template; an explicit flag wins, and a config
problem is a warning said once on stderr while the export still works."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from muscle_tui.cli import main
from muscle_tui.user_config import CONFIG_ENV_VARIABLE
from tests.support.csv_blocks import read_rows

BLOCK = "rhythm-discrimination"
EXPERIMENT = "speech-to-song-2024"
EXPERIMENT_BLOCKS = ("s2s-intake", "speech2song-nl-zh")
CSV_NAME = re.compile(rf"{BLOCK}-(?P<template>[a-z_0-9]+)-\d{{8}}T\d{{6}}Z\.csv")


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MUSCLE_TUI_DB", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def demo_db(demo_path: Path) -> str:
    return f"sqlite:///{demo_path}"


def configure(tmp_path: Path, monkeypatch, text: str) -> Path:
    """Write `text` as the config file MUSCLE_TUI_CONFIG names."""
    path = tmp_path / "muscle-tui.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    monkeypatch.setenv(CONFIG_ENV_VARIABLE, str(path))
    return path


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def header_of(capsys, demo_db: str, template: str, where: Path) -> list[str]:
    """The CSV header `--template` gives (explicit flags, no config involved)."""
    target = where / f"reference-{template}.csv"
    code, _out, err = run_cli(
        capsys, "--db", demo_db, "export", "csv", BLOCK, "--template", template, "-o", str(target)
    )
    assert code == 0, err
    return read_rows(target)[0]


@pytest.fixture
def configured(tmp_path, monkeypatch, home) -> Path:
    """A config with `directory = "~/exports/muscle"` (missing yet) and `csv_template = "long"`;
    the directory it names."""
    configure(tmp_path, monkeypatch, '[export]\ndirectory = "~/exports/muscle"\ncsv_template = "long"\n')
    return home / "exports" / "muscle"


def test_export_csv_without_output_writes_into_the_directory_with_the_template(
    capsys, demo_db, workdir, configured, tmp_path
) -> None:
    code, out, err = run_cli(capsys, "--db", demo_db, "export", "csv", BLOCK)
    assert (code, err) == (0, "")
    written = Path(out.strip())
    assert written.parent == configured
    assert stat.S_IMODE(configured.stat().st_mode) == 0o700
    assert stat.S_IMODE((configured.parent).stat().st_mode) == 0o700
    name = CSV_NAME.fullmatch(written.name)
    assert name and name["template"] == "long"
    header = read_rows(written)[0]
    assert header == header_of(capsys, demo_db, "long", tmp_path)
    assert header != header_of(capsys, demo_db, "wide", tmp_path)
    assert list(workdir.iterdir()) == []


def test_the_template_flag_wins_over_the_configured_template(capsys, demo_db, workdir, configured) -> None:
    code, out, err = run_cli(capsys, "--db", demo_db, "export", "csv", BLOCK, "--template", "wide")
    assert (code, err) == (0, "")
    written = Path(out.strip())
    name = CSV_NAME.fullmatch(written.name)
    assert written.parent == configured and name and name["template"] == "wide"


def test_export_parquet_uses_the_directory_and_the_template(
    capsys, demo_db, workdir, configured, tmp_path
) -> None:
    pyarrow_parquet = pytest.importorskip("pyarrow.parquet")
    code, out, err = run_cli(capsys, "--db", demo_db, "export", "parquet", BLOCK)
    assert (code, err) == (0, "")
    written = Path(out.strip())
    assert written.parent == configured
    assert re.fullmatch(rf"{BLOCK}-long-\d{{8}}T\d{{6}}Z\.parquet", written.name)
    assert pyarrow_parquet.read_schema(written).names == header_of(capsys, demo_db, "long", tmp_path)


def test_export_json_without_output_writes_into_the_directory(capsys, demo_db, workdir, configured) -> None:
    code, out, err = run_cli(capsys, "--db", demo_db, "export", "json", BLOCK)
    assert (code, err) == (0, "")
    written = Path(out.strip())
    assert written.parent == configured and written.is_file()
    assert re.fullmatch(rf"{BLOCK}-\d{{8}}T\d{{6}}Z\.zip", written.name)
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize("kind", ["json", "csv"])
def test_an_experiment_without_output_goes_into_the_directory(
    capsys, demo_db, workdir, configured, kind
) -> None:
    code, out, err = run_cli(capsys, "--db", demo_db, "export", kind, "--experiment", EXPERIMENT)
    assert (code, err) == (0, "")
    paths = [Path(line) for line in out.splitlines()]
    assert len(paths) == len(EXPERIMENT_BLOCKS)
    assert all(p.name.startswith(f"{slug}-") for p, slug in zip(paths, EXPERIMENT_BLOCKS, strict=True))
    assert all(p.parent == configured and p.exists() for p in paths)
    if kind == "csv":
        assert all("-long-" in p.name for p in paths)
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "written"),
    [
        (("export", "csv", BLOCK, "-o", "out.csv"), "out.csv"),
        (("export", "json", BLOCK, "--output", "bundle.zip"), "bundle.zip"),
        (("export", "csv", "--experiment", EXPERIMENT, "-o", "folder"), "folder"),
    ],
)
def test_an_explicit_relative_output_wins_and_stays_relative_to_the_current_directory(
    capsys, demo_db, workdir, configured, args, written
) -> None:
    code, out, err = run_cli(capsys, "--db", demo_db, *args)
    assert (code, err) == (0, "")
    assert all(Path(line).is_relative_to(workdir / written) for line in out.splitlines())
    assert (workdir / written).exists()
    assert not configured.parent.exists()  # the configured directory is not even created


def test_a_config_warning_is_said_once_and_the_export_still_works(
    capsys, demo_db, workdir, tmp_path, monkeypatch
) -> None:
    exports = tmp_path / "exports"
    path = configure(
        tmp_path, monkeypatch, f'[export]\ndirectory = "{exports}"\ncolour = "red"\ncsv_template = 7\n'
    )
    code, out, err = run_cli(capsys, "--db", demo_db, "export", "csv", "--experiment", EXPERIMENT)
    assert code == 0
    assert err.splitlines() == [
        f"muscle-tui: warning: {path}: unknown key [export] colour ignored (muscle-tui knows directory, "
        "csv_template)",
        f'muscle-tui: warning: {path}: [export] csv_template must be text (a template name such as "long"), '
        "not a number; using the default (wide)",
    ]
    paths = [Path(line) for line in out.splitlines()]
    assert len(paths) == 2 and all(p.parent == exports and "-wide-" in p.name for p in paths)


def test_bad_toml_is_one_warning_line_and_the_defaults_apply(
    capsys, demo_db, workdir, tmp_path, monkeypatch
) -> None:
    path = configure(tmp_path, monkeypatch, '[export]\ndirectory = "~/x\n')
    code, out, err = run_cli(capsys, "--db", demo_db, "export", "csv", BLOCK)
    assert code == 0
    assert err.count("\n") == 1
    assert err.startswith(f"muscle-tui: warning: {path}:2: not valid TOML: ")
    assert err.endswith("; using the defaults\n")
    written = Path(out.strip())
    assert written.parent == workdir and "-wide-" in written.name


def test_an_unknown_configured_template_is_one_line_naming_file_and_key(
    capsys, demo_db, workdir, tmp_path, monkeypatch
) -> None:
    path = configure(tmp_path, monkeypatch, '[export]\ncsv_template = "gone"\n')
    code, out, err = run_cli(capsys, "--db", demo_db, "export", "csv", BLOCK)
    assert (code, out) == (1, "")
    assert err == (
        f"muscle-tui: {path}: [export] csv_template: no template named 'gone' (muscle-tui templates lists "
        "them)\n"
    )
    assert list(workdir.iterdir()) == []
    code, out, err = run_cli(capsys, "--db", demo_db, "export", "csv", BLOCK, "--template", "long")
    assert (code, err) == (0, "")  # an explicit template does not need the configured one


def test_a_configured_directory_that_is_a_file_is_one_line(
    capsys, demo_db, workdir, tmp_path, monkeypatch
) -> None:
    blocker = tmp_path / "exports"
    blocker.write_text("a file")
    path = configure(tmp_path, monkeypatch, f'[export]\ndirectory = "{blocker}"\n')
    code, out, err = run_cli(capsys, "--db", demo_db, "export", "json", BLOCK)
    assert (code, out) == (1, "")
    assert err == (
        f"muscle-tui: the export directory {blocker} ([export] directory in {path}) exists and is not a "
        "directory\n"
    )
    assert list(workdir.iterdir()) == []


def test_an_unknown_block_fails_before_the_directory_is_created(capsys, demo_db, workdir, configured) -> None:
    for kind in ("json", "csv"):
        code, out, err = run_cli(capsys, "--db", demo_db, "export", kind, "no-such-block")
        assert (code, out) == (1, "") and "no-such-block" in err
    assert not configured.parent.exists()


def test_a_child_process_reads_the_config_its_environment_names(demo_db, tmp_path) -> None:
    exports = tmp_path / "child exports"
    config = tmp_path / "child.toml"
    config.write_text(f'extra = 1\n[export]\ndirectory = "{exports}"\ncsv_template = "long_results"\n')
    config.chmod(0o600)
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, CONFIG_ENV_VARIABLE: str(config)}
    env.pop("MUSCLE_TUI_DB", None)
    done = subprocess.run(
        [sys.executable, "-m", "muscle_tui", "--db", demo_db, "export", "csv", BLOCK],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (
        done.stderr
        == f"muscle-tui: warning: {config}: unknown key extra ignored (muscle-tui knows [export])\n"
    )
    written = Path(done.stdout.strip())
    assert written.parent == exports and "-long_results-" in written.name
    assert list(work.iterdir()) == []
