"""The service's start: ``sunlight serve`` imports only what serving needs, and the warm-up of
every community steps aside for a reader waiting for a load."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.api.readmodel import ReadModel
from ledger.cli import serving
from tests.api.helpers import free_port, start_service, wait_until
from tests.committee import Committee

SUNLIGHT = str(Path(sys.executable).parent / "sunlight")


def test_only_a_sunlight_serve_command_line_is_serving() -> None:
    assert serving(["/usr/bin/sunlight", "serve", "--port", "8080"])
    assert serving(["sunlight", "serve"])
    assert not serving(["/usr/bin/sunlight", "publish", "serve"])
    assert not serving(["/usr/bin/sunlight"])
    assert not serving(["pytest", "serve"])
    assert not serving([])


def test_sunlight_serve_imports_neither_the_other_commands_nor_the_publisher() -> None:
    code = ("import sys; sys.argv = ['/usr/bin/sunlight', 'serve']; import ledger.cli; "
            "import ledger.api.server; print(' '.join(sorted(sys.modules)))")
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split())
    assert {"ledger.cli.serve", "ledger.cli.root", "ledger.api.app"} <= loaded
    # nor what only some requests need: spreadsheets, QR codes, the auditor's findings
    assert not [m for m in loaded if m.split(".")[0] in ("publisher", "segno", "openpyxl") or m in (
        "ledger.cli.record", "ledger.cli.audit", "ledger.cli.demo", "ledger.importing",
        "ledger.audit.findings")], loaded


def test_sunlight_serve_alone_is_still_a_subcommand() -> None:
    # typer runs an app with a single command as that command: `sunlight serve` must still
    # name it (and its help, its usage errors)
    shown = subprocess.run([SUNLIGHT, "serve", "--help"], capture_output=True, text=True,
                           check=False)
    assert shown.returncode == 0 and "sunlight serve" in shown.stdout, shown.stderr
    wrong = subprocess.run([SUNLIGHT, "serve", "--no-such-option"], capture_output=True,
                           text=True, check=False)
    assert wrong.returncode == 2 and "--no-such-option" in wrong.stderr, wrong.stderr


def test_the_warm_up_waits_while_a_reader_waits_for_a_load(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'two.db'}"
    first = Committee.found(url, community="first")
    Committee.found(url, community="second").app.close()
    reads = ReadModel(first.app, snapshot_every=0)
    try:
        held = reads._view("second").lock  # the reader's load of "second" cannot finish yet
        held.acquire()
        try:
            waiting = reads.load("second")
            assert waiting is not None
            warm = threading.Thread(target=reads.warm, daemon=True)
            warm.start()
            # the warm-up waits in ReadModel.quiet (it would otherwise load "first" meanwhile)
            wait_until(lambda: len(reads._quiet._waiters) == 1,  # type: ignore[attr-defined]
                       "the warm-up to wait")
            assert reads.readiness("first") == "cold"
        finally:
            held.release()
        assert waiting.exception(timeout=60) is None
        warm.join(60)
        assert not warm.is_alive()
        assert reads.readiness("first") == reads.readiness("second") == "ready"
    finally:
        reads.close(snapshot=False)
        first.app.close()


def test_workers_get_a_minute_to_start_and_to_answer_health_checks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # uvicorn's own 5 s: on a loaded machine a worker's imports took longer, and uvicorn replaced
    # the workers for ever without the service ever answering
    import uvicorn
    import uvicorn._subprocess
    from typer.testing import CliRunner

    from ledger.cli.root import app

    given: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: given.append(kwargs))
    monkeypatch.setattr(uvicorn._subprocess, "spawn", uvicorn._subprocess.spawn)  # restored after
    db = f"sqlite:///{tmp_path / 'sunlight.db'}"
    runner = CliRunner()
    for extra, seconds in (([], 60), (["--worker-timeout", "150"], 150)):
        done = runner.invoke(app, ["serve", "--db", db, "--port", str(free_port()),
                                   "--workers", "2", *extra])
        assert done.exit_code == 0, done.output
        assert given[-1]["workers"] == 2
        assert given[-1]["timeout_worker_healthcheck"] == seconds
    refused = runner.invoke(app, ["serve", "--db", db, "--worker-timeout", "0"])
    assert refused.exit_code == 2


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_the_workers_are_forked_from_the_command_that_imported_the_service(
        tmp_path: Path) -> None:
    """``--workers 2``: uvicorn would spawn each worker as a fresh interpreter that imports the
    whole service again (~0.8 s of CPU each, both at once); they are forked from the command,
    which has imported it: each runs the very command line of its parent, and each answers."""
    url = f"sqlite:///{tmp_path / 'sunlight.db'}"
    Committee.found(url, community="c1").app.close()
    service = start_service(url, tmp_path / "serve.log", "--workers", "2")
    try:
        parent = service.process.pid
        wait_until(lambda: len(_children(parent)) == 2, "two workers")
        command = Path(f"/proc/{parent}/cmdline").read_bytes()
        assert b"serve" in command
        workers = _children(parent)
        assert [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in workers] == [command] * 2
        for _ in range(4):  # a new connection each: either worker answers
            assert httpx.get(f"{service.url}/v1/communities/c1", timeout=30).status_code == 200
    finally:
        assert service.terminate() == 0


def test_with_a_thread_running_the_workers_are_spawned(monkeypatch: pytest.MonkeyPatch) -> None:
    # forking a process with another thread running copies whatever locks that thread holds:
    # then uvicorn's spawned workers are kept (the forked ones: the test above)
    import multiprocessing

    import uvicorn._subprocess

    from ledger.api.server import fork_workers

    monkeypatch.setattr(uvicorn._subprocess, "spawn", multiprocessing.get_context("spawn"))
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        assert not fork_workers()
        assert uvicorn._subprocess.spawn.get_start_method() == "spawn"
    finally:
        stop.set()
        other.join()
