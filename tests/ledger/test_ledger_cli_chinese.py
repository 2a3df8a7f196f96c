"""The command line as a committee member meets it, run as the real ``sunlight`` executable: usage
errors are Chinese sentences (never click's English boxes), ``--role`` takes the Chinese title,
help pages are not cut at 80 columns, a folder without the ledger is refused rather than given
an empty new one, and every success names the record in Chinese."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from ledger.application import Sunlight
from ledger.cli.root import recorded
from ledger.domain.kinds import KINDS
from ledger.domain.roles import Role
from tests.ledger.test_ledger_cli import found

SUNLIGHT = str(Path(sys.executable).parent / "sunlight")
ENGLISH = ("Usage:", "Error:", "No such option", "Try '", "Missing ", "Invalid value", "Traceback",
           "is not one of", "not a valid", "Show this message")
BOX = set("╭╮╰╯│─")


def sunlight(cwd: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Runs ``sunlight args`` in ``cwd``: exit code, stdout, stderr."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SUNLIGHT_")}
    environment.update(env or {})
    done = subprocess.run([SUNLIGHT, *args], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=120, check=False)
    return done.returncode, done.stdout, done.stderr


def plain_chinese(text: str) -> None:
    """No English boilerplate of click or typer, no rich box, and some Chinese."""
    for english in ENGLISH:
        assert english not in text, text
    assert not BOX & set(text), text
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), text


@pytest.fixture
def community(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A founded community (王主任 chair, 陈明 treasurer) and the environment to reach it."""
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("SUNLIGHT_DB", url)
    found(tmp_path)
    return {"SUNLIGHT_DB": url}


@pytest.fixture(scope="module")
def founded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """One founded community for the tests that must leave it as it is."""
    where = tmp_path_factory.mktemp("founded")
    url = f"sqlite:///{where / 'ledger.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(where)
        patch.setenv("SUNLIGHT_DB", url)
        found(where)
    return where, {"SUNLIGHT_DB": url}


# --- usage errors --------------------------------------------------------------------------------

USAGE = [
    (["record", "fund.opened", "-c", "cli", "-k", "chen", "--comunity", "x"],
     ["没有选项 --comunity", "您是不是要用 --community", "查看用法：sunlight record --help"]),
    (["record", "fund.opened", "-c", "cli", "-k", "chen", "--bogus"], ["没有选项 --bogus"]),
    (["record"], ["缺少参数 KIND", "记录类型"]),
    (["record", "fund.opened", "-k", "chen"], ["缺少选项 -c/--community", "社区编号"]),
    (["record", "fund.opened", "-c"], ["选项 -c 后面缺少值"]),
    (["member", "role", "-c", "cli", "-k", "wang", "--member-id", "chen", "--role", "会计"],
     ["--role 应为以下之一", "主任（chair）", "委员（member）", "出纳（treasurer）", "监督（supervisor）",
      "“会计”"]),
    (["member", "admit", "-c", "cli", "-k", "wang", "--member-id", "li", "--name", "李",
      "--member-key", "chen", "--term-start", "2024-01-01"], ["缺少选项 --role", "委员（member）"]),
    (["init", "-c", "new", "--name", "新社区", "--origin", "new.example/x", "--invite",
      "--invite-days", "七"], ["--invite-days 应为整数", "“七”"]),
    (["init", "-c", "new", "--name", "新社区", "--origin", "new.example/x", "--invite",
      "--invite-days", "0"], ["--invite-days 不得小于 1"]),
    (["recrod"], ["没有命令“recrod”", "您是不是要用 record"]),
    (["member", "demote"], ["sunlight member 没有命令“demote”", "admit"]),
    (["keys", "show", "chen", "wang"], ["多余的参数：wang"]),
]


@pytest.mark.parametrize(("args", "expected"), USAGE, ids=[" ".join(a[:3]) for a, _ in USAGE])
def test_a_usage_error_is_a_chinese_sentence_and_exit_code_2(
        founded: tuple[Path, dict[str, str]], args: list[str], expected: list[str]) -> None:
    where, env = founded
    before = Sunlight(env["SUNLIGHT_DB"]).size("cli")
    code, out, err = sunlight(where, *args, env=env)
    assert code == 2, (out, err)
    assert err.startswith("错误："), err
    for words in expected:
        assert words in err, err
    plain_chinese(err)
    assert Sunlight(env["SUNLIGHT_DB"]).size("cli") == before  # nothing recorded
    assert not (where / "log-keys" / "new.logkey").exists()  # nothing founded


def test_no_arguments_show_the_help_in_chinese(tmp_path: Path) -> None:
    code, _out, err = sunlight(tmp_path, "member")
    assert code == 2
    assert "用法：sunlight member [选项] 命令" in err and "admit" in err and "命令：" in err
    plain_chinese(err)


@pytest.mark.parametrize("title", ["委员", "member", " 委员 ", "MEMBER"])
def test_a_role_is_accepted_by_its_chinese_title_or_its_code(
        community: dict[str, str], title: str) -> None:
    code, out, err = sunlight(Path.cwd(), "member", "role", "-c", "cli", "-k", "wang",
                              "--member-id", "chen", "--role", title, env=community)
    assert code == 0, (out, err)
    assert f"已登记：{KINDS['member.role_assigned'].title}（日志序号 " in out
    plain_chinese(out)
    members = Sunlight(community["SUNLIGHT_DB"]).state("cli").members
    assert members["chen"].role is Role.MEMBER


# --- help ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("columns", ["80", "200"])
def test_help_is_plain_chinese_and_not_cut_at_80_columns(tmp_path: Path, columns: str) -> None:
    code, out, err = sunlight(tmp_path, "record", "--help", env={"COLUMNS": columns})
    assert code == 0, err
    assert out.startswith("用法：sunlight record [选项]")
    for heading in ("参数：", "选项："):
        assert f"\n{heading}\n" in out
    plain_chinese(out)
    lines = out.splitlines()
    # one option, one line: its help and its [default …] are never wrapped onto another line
    db = next(line for line in lines if line.lstrip().startswith("--db"))
    assert "postgresql+psycopg" in db and "默认 sqlite:///sunlight.db" in db
    assert max(_display_width(line) for line in lines) > 80
    # the help texts start in one column, by display width (a Chinese character is two columns)
    starts = {_display_width(line[:line.index(help_)]) for line, help_ in
              [(next(x for x in lines if x.lstrip().startswith("-c, --community")), "社区编号"),
               (next(x for x in lines if x.lstrip().startswith("--from-file")), "批量导入"),
               (next(x for x in lines if x.lstrip().startswith("--dir")), "密钥目录")]}
    assert len(starts) == 1, out


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_every_command_has_plain_chinese_help(tmp_path: Path) -> None:
    code, out, err = sunlight(tmp_path, "--help")
    assert code == 0, err
    plain_chinese(out)
    for group in ("member", "log", "keys", "witness", "db"):
        assert f"  {group} " in out
        code, sub, err = sunlight(tmp_path, group, "--help")
        assert code == 0 and sub.startswith(f"用法：sunlight {group}"), err
        plain_chinese(sub)


# --- a folder without the ledger -----------------------------------------------------------------


def test_a_folder_without_the_ledger_is_refused_and_no_database_is_made(
        founded: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    key = str(founded[0] / "keys" / "chen.key")
    for args in (["record", "fund.opened", "-c", "cli", "-k", key, "--set", "fund_id=f2"],
                 ["member", "term", "-c", "cli", "-k", key, "--member-id", "chen",
                  "--term-start", "2024-01-01"],
                 ["forget", "-c", "cli", "张三"],
                 ["log", "key", "-c", "cli"],
                 ["publish", "--out", "site"]):
        code, out, err = sunlight(elsewhere, *args)  # no --db, no SUNLIGHT_DB, no sunlight.db here
        assert code == 2, (args, out, err)
        assert "找不到账本数据库 sunlight.db" in err and "--db" in err and str(elsewhere) in err, err
        plain_chinese(err)
        code, out, err = sunlight(elsewhere, *args, "--db", f"sqlite:///{elsewhere / 'typo.db'}")
        assert code == 2 and "找不到账本数据库" in err and "typo.db" in err, (args, err)
    assert sorted(p.name for p in elsewhere.iterdir()) == []  # no sunlight.db, no site, nothing
    code, out, err = sunlight(elsewhere, "record", "fund.opened", "-c", "cli", "-k", "chen")
    assert code == 2 and "密钥目录 keys 不存在" in err and str(elsewhere) in err and "--dir" in err, err
    plain_chinese(err)


def test_init_still_makes_the_database(tmp_path: Path) -> None:
    code, out, err = sunlight(tmp_path, "init", "-c", "new", "--name", "新社区", "--origin",
                              "new.example/x", "--invite")
    assert code == 0, err
    assert (tmp_path / "sunlight.db").is_file() and "建账邀请" in out
    code, out, err = sunlight(tmp_path, "log", "key", "-c", "new")  # the folder has a ledger now
    assert code == 1 and "找不到账本数据库" not in err, err  # invited, not yet founded
    plain_chinese(err)


# --- successes name the record ---------------------------------------------------------------------


def test_every_kind_is_named_in_chinese_when_recorded() -> None:
    for kind, spec in KINDS.items():
        said = recorded(kind, 12)
        assert said == f"已登记：{spec.title}（日志序号 12）"
        assert kind not in said and spec.title
    assert recorded("fund.donation_recorded", 3, duplicate=True) == "已登记过（未重复登记）：登记捐赠（日志序号 3）"


def test_recording_and_admitting_say_what_was_recorded(community: dict[str, str]) -> None:
    code, out, err = sunlight(Path.cwd(), "record", "fund.donation_recorded", "-c", "cli", "-k", "chen",
                              "--set", "fund_id=f1", "--set", "donation_id=d1", "--set",
                              "amount_fen=10000", "--set", "channel=现金", "--set", "receipt_no=R1",
                              "--set", "received_on=2025-01-02", "--person", "name=张三", env=community)
    assert code == 0, err
    assert out.strip() == "已登记：登记捐赠（日志序号 4）"
    code, out, err = sunlight(Path.cwd(), "keys", "new", "li")
    code, out, err = sunlight(Path.cwd(), "member", "admit", "-c", "cli", "-k", "wang", "--member-id", "li",
                              "--name", "李监督", "--role", "监督", "--member-key", "li",
                              "--term-start", "2024-01-01", env=community)
    assert code == 0, err
    assert out.strip() == "已登记：成员入职（日志序号 5）"
    assert Sunlight(community["SUNLIGHT_DB"]).state("cli").members["li"].role is Role.SUPERVISOR
