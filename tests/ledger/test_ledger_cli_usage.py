"""Usage as a first-time user meets it: a refusal or a clear sentence and the right exit code
(1: the input was refused; 2: the command could not run), never a Python traceback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import ledger.cli  # noqa: F401  (registers every command)
from ledger.cli.root import app
from tests.ledger.test_ledger_cli import found

SUNLIGHT = str(Path(sys.executable).parent / "sunlight")
HUGE = "999999999999999999999999"
MAX_INTEGER = 2**53 - 1  # I-JSON (RFC 7493): the largest integer every JSON reader keeps exactly
DONATION = ["record", "fund.donation_recorded", "-c", "cli", "-k", "chen", "--set", "fund_id=f1",
            "--set", "channel=cash", "--set", "receipt_no=R1", "--set", "received_on=2025-01-02"]

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    """Runs a command in-process: its exit code and everything it printed. Any exception other
    than the command's own exit is a traceback the user would have seen: the test fails."""
    result = runner.invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"sunlight {' '.join(args)} ended in a traceback") from result.exception
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes is not None else "")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUNLIGHT_DB", f"sqlite:///{tmp_path / 'ledger.db'}")
    return tmp_path


@pytest.fixture
def community(workdir: Path) -> Path:
    found(workdir)
    return workdir


# --- numbers beyond what JSON keeps exactly -------------------------------------------------------


@pytest.mark.parametrize("amount", [HUGE, str(MAX_INTEGER + 1), str(-MAX_INTEGER - 1), "9" * 5000])
def test_a_huge_amount_at_the_command_line_is_refused_naming_the_field(community: Path, amount: str) -> None:
    code, output = run(*DONATION, "--set", "donation_id=d1", "--set", f"amount_fen={amount}")
    assert code == 1, output
    assert "amount_fen" in output and str(MAX_INTEGER) in output and "Traceback" not in output


def test_a_huge_amount_in_json_is_refused_naming_the_field(community: Path) -> None:
    code, output = run(*DONATION[:6], "--json", json.dumps({"fund_id": "f1", "donation_id": "d1",
                                                             "votes": {"for": int(HUGE)}}))
    assert code == 1 and "votes.for" in output and str(MAX_INTEGER) in output, output
    code, output = run(*DONATION[:6], "--json", '{"amount_fen": ' + "9" * 5000 + "}")
    assert code == 1 and "JSON" in output, output


def test_a_huge_amount_in_an_import_is_refused_with_its_line(community: Path) -> None:
    (community / "gifts.csv").write_text(
        "fund_id,donation_id,amount_fen,channel,receipt_no,received_on\n"
        "f1,d1,100,cash,R1,2025-01-02\n"
        f"f1,d2,{HUGE},cash,R2,2025-01-02\n", encoding="utf-8")
    code, output = run(*DONATION[:6], "--from-file", "gifts.csv")
    assert code == 1 and "第 3 行" in output and "amount_fen" in output and str(MAX_INTEGER) in output, output
    row = {"fund_id": "f1", "channel": "cash", "received_on": "2025-01-02"}
    (community / "gifts.json").write_text(
        json.dumps([row | {"donation_id": "d1", "amount_fen": 100, "receipt_no": "R1"},
                    row | {"donation_id": "d2", "amount_fen": int(HUGE), "receipt_no": "R2"}]))
    code, output = run(*DONATION[:6], "--from-file", "gifts.json")
    assert code == 1 and "第 2 行" in output and "amount_fen" in output, output
    (community / "gifts.jsonl").write_text('{"amount_fen": ' + "9" * 5000 + "}\n")
    code, output = run(*DONATION[:6], "--from-file", "gifts.jsonl")
    assert code == 1 and "第 1 行" in output, output
    (community / "person.jsonl").write_text(json.dumps(row | {"person": "张三"}) + "\n")
    code, output = run(*DONATION[:6], "--from-file", "person.jsonl")
    assert code == 1 and "person" in output, output


def test_a_value_and_a_sub_field_of_the_same_name_are_refused(community: Path) -> None:
    code, output = run(*DONATION, "--set", "votes=3", "--set", "votes.for=2")
    assert code == 1 and "votes" in output, output


# --- a busy port --------------------------------------------------------------------------------


@contextmanager
def busy_port() -> Iterator[int]:
    """A port another program is listening on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


@pytest.mark.slow
def test_the_demo_on_a_busy_port_says_so_and_names_the_option(tmp_path: Path) -> None:
    with busy_port() as port:
        done = subprocess.run([SUNLIGHT, "demo", "--out", str(tmp_path / "demo"), "--port", str(port)],
                              capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"端口 {port} 已被占用" in done.stderr and "--port" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not (tmp_path / "demo").exists()  # refused before any work


def test_every_server_on_a_busy_port_says_so_and_names_the_option(community: Path) -> None:
    assert run("witness", "keygen", "witness.example/w1", "--out", "w.key")[0] == 0
    vkey = run("log", "key", "-c", "cli")[1].strip()
    with busy_port() as port:
        for args in (["serve", "--port", str(port)],
                     ["witness", "serve", "--key", "w.key", "--log", vkey, "--port", str(port)],
                     ["publish", "--serve", "--port", str(port), "--out", "site"],
                     ["demo", "--out", "demo", "--port", str(port)]):
            code, output = run(*args)
            assert code == 2 and f"端口 {port} 已被占用" in output and "--port" in output, (args, output)
    assert not (community / "site").exists() and not (community / "demo").exists()


# --- missing input files ------------------------------------------------------------------------


def test_a_missing_input_file_is_exit_2_with_a_chinese_sentence(community: Path) -> None:
    vkey = run("log", "key", "-c", "cli")[1].strip()
    for args in (["record", "fund.opened", "-c", "cli", "-k", "chen", "--from-file", "nowhere.csv"],
                 ["record", "fund.opened", "-c", "cli", "-k", "nobody", "--set", "fund_id=f2"],
                 ["keys", "show", "nobody"],
                 ["member", "admit", "-c", "cli", "-k", "wang", "--member-id", "li", "--name", "李",
                  "--role", "member", "--member-key", "nobody", "--term-start", "2024-01-01"],
                 ["verify", str(community), "--key", vkey, "--trusted", "nowhere.checkpoint"],
                 ["log", "verify-proof", "nowhere.tlog-proof", "--key", vkey],
                 ["witness", "serve", "--key", "nowhere.key", "--log", vkey, "--port", "0"]):
        code, output = run(*args)
        assert code == 2 and "不存在" in output and ("nowhere" in output or "nobody" in output), (args, output)
    (community / "folder.csv").mkdir()
    code, output = run("record", "fund.opened", "-c", "cli", "-k", "chen", "--from-file", "folder.csv")
    assert code == 2 and "目录" in output, output
    (community / "binary.csv").write_bytes(b"fund_id,name\nf2,\x80\xff\n")  # neither UTF-8 nor GB18030
    code, output = run("record", "fund.opened", "-c", "cli", "-k", "chen", "--from-file", "binary.csv")
    assert code == 1 and "UTF-8" in output and "GB18030" in output, output  # there, but not text


# --- no traceback, whatever the values ------------------------------------------------------------

FIELDS = ["fund_id", "donation_id", "amount_fen", "channel", "receipt_no", "received_on", "restriction",
          "votes", "votes.for", "person.name", "person.phone", "", "x.y.z"]
VALUES = st.one_of(
    st.text(max_size=30),
    st.integers().map(str),
    st.integers(min_value=2**53 - 3, max_value=2**80).map(lambda n: str(n * (-1) ** n)),
    st.sampled_from(["[", "{", "[]", "{}", '{"a": 1}', "[1e400]", "NaN", "1.5", "是", "否", "true",
                     "١٢٣", "１２３", "0" * 40 + "1", "9" * 4400, "[" * 3000, "2025-02-30"]),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                 lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                              max_size=3),
                 max_leaves=6).map(json.dumps))
PAIRS = st.lists(st.tuples(st.sampled_from(FIELDS) | st.text(max_size=8), VALUES), max_size=6)
# Each example runs a whole command: no shrinking (the failing example is printed as found).
FUZZ = settings(max_examples=40, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.mark.slow
@FUZZ
@given(pairs=PAIRS)
def test_set_values_never_end_in_a_traceback(community: Path, pairs: list[tuple[str, str]]) -> None:
    args = [*DONATION[:6]]
    for key, value in pairs:
        args += ["--set", f"{key}={value}"]
    code, output = run(*args)
    assert code in (0, 1), output
    assert "Traceback" not in output


@pytest.mark.slow
@FUZZ
@given(pairs=PAIRS, as_json=st.booleans())
def test_import_values_never_end_in_a_traceback(community: Path, pairs: list[tuple[str, str]],
                                                as_json: bool) -> None:
    path = community / ("fuzz.jsonl" if as_json else "fuzz.csv")
    if as_json:
        lines = []
        for key, value in pairs:
            try:
                parsed = json.loads(value)
            except (ValueError, RecursionError):
                parsed = value
            lines.append(json.dumps({"fund_id": "f1", key: parsed}))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        import csv
        import io

        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([key for key, _ in pairs] or ["fund_id"])
        writer.writerow([value for _, value in pairs] or ["f1"])
        path.write_text(out.getvalue(), encoding="utf-8")
    code, output = run(*DONATION[:6], "--from-file", str(path))
    assert code in (0, 1), output
    assert "Traceback" not in output
