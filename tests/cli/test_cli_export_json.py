"""`muscle-tui export json`: the written path on stdout, one clear line for each error."""

from __future__ import annotations

import io
import re
import stat
import zipfile
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from muscle_tui.cli import main
from muscle_tui.cli.console import ExportProgressBar
from muscle_tui.export.json import JSON_FILES
from muscle_tui.export.progress import ExportProgress
from tests.support.json_reference import EDGE_REFERENCE, assert_matches_reference, read_directory, read_zip

pytestmark = pytest.mark.postgres

DEFAULT_NAME = re.compile(r"(?P<slug>.+)-(?P<stamp>\d{8}T\d{6}Z)\.zip")


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def edge_db(edge_url: URL) -> str:
    return edge_url.render_as_string(hide_password=False)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MUSCLE_TUI_DB", raising=False)
    return tmp_path


def test_default_output_is_a_zip_named_after_the_block(capsys, edge_db, workdir) -> None:
    code, out, err = run_cli(capsys, "--db", edge_db, "export", "json", "edge_a")
    assert (code, err) == (0, "")
    written = Path(out.strip())
    assert out == f"{written}\n"
    assert written.parent == workdir
    match = DEFAULT_NAME.fullmatch(written.name)
    assert match and match["slug"] == "edge_a"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert_matches_reference(read_zip(written), EDGE_REFERENCE / "edge_a")
    assert sorted(p.name for p in workdir.iterdir()) == [written.name]


def test_output_directory_and_database_from_environment(capsys, edge_db, workdir, monkeypatch) -> None:
    monkeypatch.setenv("MUSCLE_TUI_DB", edge_db)
    code, out, err = run_cli(capsys, "export", "json", "edge_b", "--output", "bundle")
    assert (code, err) == (0, "")
    assert out == f"{workdir / 'bundle'}\n"
    assert_matches_reference(read_directory(workdir / "bundle"), EDGE_REFERENCE / "edge_b")


def test_existing_output_needs_force(capsys, edge_db, workdir) -> None:
    target = workdir / "a.zip"
    target.write_bytes(b"precious")
    code, out, err = run_cli(capsys, "--db", edge_db, "export", "json", "edge_a", "-o", "a.zip")
    assert (code, out) == (1, "")
    assert err == f"muscle-tui: {target} already exists; use --force to replace it\n"
    assert target.read_bytes() == b"precious"

    code, out, err = run_cli(capsys, "--db", edge_db, "export", "json", "edge_a", "-o", "a.zip", "--force")
    assert (code, out, err) == (0, f"{target}\n", "")
    assert_matches_reference(read_zip(target), EDGE_REFERENCE / "edge_a")
    assert sorted(p.name for p in workdir.iterdir()) == ["a.zip"]


def test_experiment_exports_a_bundle_per_block(capsys, edge_db, workdir) -> None:
    (workdir / "out").mkdir()
    code, out, err = run_cli(
        capsys, "--db", edge_db, "export", "json", "--experiment", "edge_experiment", "-o", "out"
    )
    assert (code, err) == (0, "")
    paths = [Path(line) for line in out.splitlines()]
    assert [DEFAULT_NAME.fullmatch(p.name)["slug"] for p in paths] == ["edge_a", "edge_b", "edge_empty"]
    assert {p.parent for p in paths} == {workdir / "out"}
    assert len({DEFAULT_NAME.fullmatch(p.name)["stamp"] for p in paths}) == 1
    for path, block in zip(paths, ("edge_a", "edge_b", "edge_empty")):
        assert_matches_reference(read_zip(path), EDGE_REFERENCE / block)
    assert sorted(p.name for p in (workdir / "out").iterdir()) == sorted(p.name for p in paths)


def test_experiment_default_directory_is_the_current_one(capsys, edge_db, workdir) -> None:
    code, out, _ = run_cli(capsys, "--db", edge_db, "export", "json", "--experiment", "edge_experiment")
    assert code == 0
    assert sorted(Path(line).parent for line in out.splitlines()) == [workdir] * 3
    with zipfile.ZipFile(out.splitlines()[2]) as archive:
        assert archive.namelist() == list(JSON_FILES)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nope",), "muscle-tui: no block with slug 'nope' in this database (muscle-tui list shows them)\n"),
        (
            ("--experiment", "nope"),
            "muscle-tui: no experiment with slug 'nope' in this database (muscle-tui list shows them)\n",
        ),
        (("nope", "-o", "new/"), "muscle-tui: no block with slug 'nope'"),
    ],
)
def test_unknown_slug_is_one_line_and_exit_1(capsys, edge_db, workdir, args, message) -> None:
    code, out, err = run_cli(capsys, "--db", edge_db, "export", "json", *args)
    assert (code, out) == (1, "")
    assert err.startswith(message) and err.count("\n") == 1
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize("args", [(), ("edge_a", "--experiment", "edge_experiment")])
def test_block_or_experiment_is_required(capsys, edge_db, workdir, args) -> None:
    assert main(["--db", edge_db, "export", "json", *args]) == 2
    assert "BLOCK_SLUG or --experiment" in capsys.readouterr().err
    assert list(workdir.iterdir()) == []


def test_a_path_ending_in_a_slash_is_a_new_directory_with_the_default_name(capsys, edge_db, workdir) -> None:
    code, out, err = run_cli(capsys, "--db", edge_db, "export", "json", "edge_a", "-o", "new/dir/")
    assert (code, err) == (0, "")
    written = Path(out.strip())
    assert written.parent == workdir / "new" / "dir"
    assert DEFAULT_NAME.fullmatch(written.name)["slug"] == "edge_a"
    assert stat.S_IMODE(written.parent.stat().st_mode) == 0o700
    assert_matches_reference(read_zip(written), EDGE_REFERENCE / "edge_a")


def test_an_existing_directory_gets_the_default_name_inside(capsys, edge_db, workdir) -> None:
    earlier = workdir / "bundle"
    earlier.mkdir()
    (earlier / "sessions.json").write_bytes(b"precious")
    code, out, err = run_cli(capsys, "--db", edge_db, "export", "json", "edge_b", "-o", "bundle")
    assert (code, err) == (0, "")
    written = Path(out.strip())
    assert written.parent == earlier and DEFAULT_NAME.fullmatch(written.name)["slug"] == "edge_b"
    assert_matches_reference(read_zip(written), EDGE_REFERENCE / "edge_b")
    assert (earlier / "sessions.json").read_bytes() == b"precious"


def test_experiment_output_directory_is_created(capsys, edge_db, workdir) -> None:
    code, out, err = run_cli(
        capsys, "--db", edge_db, "export", "json", "--experiment", "edge_experiment", "-o", "missing/dir"
    )
    assert (code, err) == (0, "")
    target = workdir / "missing" / "dir"
    paths = [Path(line) for line in out.splitlines()]
    assert [DEFAULT_NAME.fullmatch(p.name)["slug"] for p in paths] == ["edge_a", "edge_b", "edge_empty"]
    assert {p.parent for p in paths} == {target}
    assert sorted(p.name for p in target.iterdir()) == sorted(p.name for p in paths)
    assert stat.S_IMODE(target.stat().st_mode) == 0o700


def test_experiment_output_that_is_a_file_is_one_line(capsys, edge_db, workdir) -> None:
    (workdir / "a-file").write_bytes(b"precious")
    code, out, err = run_cli(
        capsys, "--db", edge_db, "export", "json", "--experiment", "edge_experiment", "-o", "a-file"
    )
    assert (code, out) == (1, "")
    reason = "is not a directory (an export of many blocks writes into one)"
    assert err == f"muscle-tui: {workdir / 'a-file'} {reason}\n"
    assert sorted(p.name for p in workdir.iterdir()) == ["a-file"]
    assert (workdir / "a-file").read_bytes() == b"precious"


class FakeTerminal(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_progress_is_a_bar_on_a_terminal_that_goes_away_at_the_end(monkeypatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    terminal = FakeTerminal(tty=True)
    with ExportProgressBar("edge_a", "objects", terminal) as progress:
        assert progress is not None
        progress(ExportProgress(stage="results.json", done=1500, total=3000, elapsed=1.0))
        shown = terminal.getvalue()
        assert "edge_a: results.json" in shown and "1,500/3,000" in shown and "objects/s" in shown
    cleared = terminal.getvalue()[len(shown) :]
    assert "\x1b[2K" in cleared, "the bar is erased, so the written path starts on a clean line"


def test_progress_is_nothing_on_a_pipe() -> None:
    pipe = FakeTerminal(tty=False)
    with ExportProgressBar("edge_a", "objects", pipe) as progress:
        assert progress is None
    assert pipe.getvalue() == ""
