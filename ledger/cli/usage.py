"""The command line's own words in Chinese: usage errors, help pages and choices.

A usage error (an unknown option or command, a missing option or argument, a value of the wrong
type, a choice that is not one) is one Chinese sentence on stderr, naming the option and what it
accepts, and the command to see its help -- never click's English box -- with exit code 2. Help
pages are plain text with Chinese headings (no rich boxes), aligned by display width and never
cut by the program, at 80 columns or any other width: the terminal wraps a long line, a pipe
gets it whole. An enumeration (:class:`~ledger.domain.common.Choice`, such as
:class:`~ledger.domain.roles.Role`) is accepted by its code or by its Chinese label
(``--role 委员`` is ``member``).

Typer 0.29 parses with its own copy of click (``typer._click``) and converts values with
pydantic: the translations read its exceptions' fields (and the pydantic error behind a bad
value) wherever they carry them; only the few plain usage errors (no such command, extra
arguments) are recognised by their English message, with a Chinese fallback that quotes it.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from difflib import get_close_matches
from enum import Enum
from typing import Any, TypeVar

from typer._click.core import Context
from typer._click.exceptions import (
    BadOptionUsage,
    BadParameter,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer._click.formatting import HelpFormatter
from typer.core import TyperArgument, TyperGroup

from ledger.domain.common import Choice

C = TypeVar("C", bound=Choice)

WIDE = 10_000  # no wrapping: a help page is never cut by the program, the terminal wraps it


# --- choices by code or Chinese label ------------------------------------------------------------


def choice_parser(kind: type[C]) -> Callable[[Any], C]:
    """A typer ``parser=`` that takes a member of ``kind`` by its code or its Chinese label."""

    def parse(value: Any) -> C:
        if isinstance(value, kind):
            return value
        text = str(value).strip()
        for member in kind:
            if text in (member.value, member.label) or text.casefold() == member.value.casefold():
                return member
        raise ValueError(f"not one of {kind.__name__}: {text!r}")

    return parse


def allowed(choices: Sequence[Any]) -> str:
    """``主任（chair）、委员（member）、…``: the choices in Chinese with their codes."""
    return "、".join(f"{c.label}（{c.value}）" if isinstance(c, Choice) else
                    str(c.value if isinstance(c, Enum) else c) for c in choices)


# --- help pages --------------------------------------------------------------------------------


_HEADINGS = {"Options": "选项", "Arguments": "参数", "Commands": "命令"}
_TYPES = {"str": "文本", "list[str]": "文本", "path": "路径", "int": "整数", "int range": "整数",
          "float": "数字", "float range": "数字", "bool": "", "list[path]": "路径"}
_EXTRAS = (("env var: ", "环境变量 "), ("default: ", "默认 "), ("required", "必填"), ("; ", "；"))
_METAVAR = re.compile(r" <([^<>]*)>$")
_EXTRA = re.compile(r"\[([^\[\]]*)\]$")


class Formatter(HelpFormatter):
    """Click's plain help formatter, in Chinese, without a width limit."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        args = args.replace("[OPTIONS]", "[选项]").replace("COMMAND [ARGS]...", "命令 [参数]...")
        super().write_usage(prog, args, "用法：" if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{_HEADINGS.get(heading, heading)}：\n")

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30,
                 col_spacing: int = 2) -> None:
        """Options and commands, their help aligned by display width (a Chinese character takes
        two columns) and never wrapped: the terminal wraps a long line, a pipe gets it whole."""
        pairs = [(_term(first), _definition(second)) for first, second in rows]
        first_col = min(max((_columns(first) for first, _ in pairs), default=0), col_max) + col_spacing
        indent = " " * self.current_indent
        for first, second in pairs:
            if not second:
                self.write(f"{indent}{first}\n")
            elif _columns(first) <= first_col - col_spacing:
                self.write(f"{indent}{first}{' ' * (first_col - _columns(first))}{second}\n")
            else:
                self.write(f"{indent}{first}\n{indent}{' ' * first_col}{second}\n")


def _columns(text: str) -> int:
    """How many terminal columns ``text`` takes: two for a wide (Chinese) character."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _term(first: str) -> str:
    found = _METAVAR.search(first)
    if found is None or found.group(1) not in _TYPES:
        return first
    name = _TYPES[found.group(1)]
    return first[:found.start()] + (f" <{name}>" if name else "")


def _definition(second: str) -> str:
    if second == "Show this message and exit.":
        return "显示本帮助并退出"
    found = _EXTRA.search(second)
    if found is None:
        return second
    extra = found.group(1)
    for english, chinese in _EXTRAS:
        extra = extra.replace(english, chinese)
    return f"{second[:found.start()]}[{extra}]"


class ChineseContext(Context):
    formatter_class = Formatter


def speak_chinese(group: TyperGroup) -> None:
    """Every command under ``group``: plain Chinese help (no rich boxes), not cut at 80 columns."""
    for command in _commands(group):
        command.context_class = ChineseContext
        if hasattr(command, "rich_markup_mode"):
            command.rich_markup_mode = None
    group.context_settings.setdefault("terminal_width", WIDE)
    group.context_settings.setdefault("max_content_width", WIDE)


def _commands(group: TyperGroup) -> Iterator[Any]:
    yield group
    for command in group.commands.values():
        if isinstance(command, TyperGroup):
            yield from _commands(command)
        else:
            yield command


# --- usage errors ------------------------------------------------------------------------------


def explain(error: UsageError) -> str:
    """A usage error as Chinese sentences: what is wrong, then where to see the usage."""
    ctx = error.ctx
    sentence = _sentence(error, ctx)
    where = f"\n查看用法：{ctx.command_path} --help" if ctx is not None else ""
    return f"错误：{sentence}{where}"


def _sentence(error: UsageError, ctx: Context | None) -> str:
    if isinstance(error, NoSuchOption):
        return _no_such_option(error.option_name, ctx)
    if isinstance(error, BadOptionUsage):
        if "requires" in error.message:
            return f"选项 {error.option_name} 后面缺少值"
        if "does not take a value" in error.message:
            return f"选项 {error.option_name} 不带值"
        return f"选项 {error.option_name} 的用法不对"
    if isinstance(error, MissingParameter):
        return _missing(error)
    if isinstance(error, BadParameter):
        return _bad_value(error)
    message = error.message
    found = re.match(r"No such command (.+?)\.(?: Did you mean|$)", message)
    if found is not None:
        return _no_such_command(_literal(found.group(1)), ctx)
    found = re.match(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)$", message)
    if found is not None:
        return f"多余的参数：{found.group(1)}（含空格的值请加引号）"
    if message.startswith("Missing command"):
        return f"缺少子命令；可用的子命令：{_subcommands(ctx)}"
    return f"命令用法不对（{message}）"


def _literal(text: str) -> str:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return str(value)


def _no_such_option(option: str, ctx: Context | None) -> str:
    names: list[str] = []
    if ctx is not None:
        for param in ctx.command.get_params(ctx):
            names += [n for n in (*param.opts, *param.secondary_opts) if n.startswith("-")]
    close = get_close_matches(option, names, n=3, cutoff=0.6)
    hint = f"；您是不是要用 {'、'.join(close)}？" if close else ""
    command = ctx.command_path if ctx is not None else "sunlight"
    return f"{command} 没有选项 {option}{hint}"


def _no_such_command(name: str, ctx: Context | None) -> str:
    names = list(ctx.command.commands) if ctx is not None and isinstance(ctx.command, TyperGroup) else []
    close = get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f"您是不是要用 {'、'.join(close)}？" if close else f"可用的命令：{'、'.join(names)}"
    command = ctx.command_path if ctx is not None else "sunlight"
    return f"{command} 没有命令“{name}”；{hint}"


def _subcommands(ctx: Context | None) -> str:
    if ctx is None or not isinstance(ctx.command, TyperGroup):
        return ""
    return "、".join(ctx.command.commands)


def _name(param: Any) -> str:
    """``-c/--community`` for an option, ``KIND`` for an argument."""
    if isinstance(param, TyperArgument):
        return str(param.display_name_raw or param.name).upper()
    return "/".join(sorted(param.opts, key=lambda o: (o.startswith("--"), o))) or str(param.name)


def _what(param: Any) -> str:
    """The option's help (its first clause), to say what is missing."""
    text = str(getattr(param, "help", None) or "").strip()
    return f"（{text}）" if text else ""


def _choices(param: Any) -> Sequence[Any] | None:
    descriptor = getattr(param, "type_descriptor", None)
    return getattr(descriptor, "choices", None) if descriptor is not None else None


def _missing(error: MissingParameter) -> str:
    param = error.param
    if param is None:
        return "缺少必需的参数"
    what = "参数" if isinstance(param, TyperArgument) else "选项"
    choices = _choices(param)
    if choices:
        return f"缺少{what} {_name(param)}，可选：{allowed(choices)}"
    return f"缺少{what} {_name(param)}{_what(param)}"


def _bad_value(error: BadParameter) -> str:
    param = error.param
    name = _name(param) if param is not None else "参数"
    value, kind, limits = _pydantic_error(error)
    shown = f"“{value}”" if value is not None else "给出的值"
    choices = _choices(param) if param is not None else None
    if choices:
        return f"{name} 应为以下之一：{allowed(choices)}，而不是{shown}"
    if kind in ("int_parsing", "int_from_float"):
        return f"{name} 应为整数，而不是{shown}"
    if kind == "float_parsing":
        return f"{name} 应为数字，而不是{shown}"
    if kind == "bool_parsing":
        return f"{name} 应为 true 或 false，而不是{shown}"
    bounds = {"greater_than_equal": "不得小于", "less_than_equal": "不得大于",
              "greater_than": "应大于", "less_than": "应小于"}
    if kind in bounds and limits:
        return f"{name} {bounds[kind]} {next(iter(limits.values()))}，而不是{shown}"
    return f"{name} 的值{shown}无效"


def _pydantic_error(error: BadParameter) -> tuple[Any, str | None, dict[str, Any]]:
    """The value, the pydantic error type and its limits behind a bad value, if known."""
    cause = error.__cause__
    errors = getattr(cause, "errors", None)
    if not callable(errors):
        return None, None, {}
    try:
        first = errors()[0]
    except (IndexError, TypeError):
        return None, None, {}
    limits = {k: v for k, v in (first.get("ctx") or {}).items() if k in ("ge", "le", "gt", "lt")}
    return first.get("input"), first.get("type"), limits


__all__ = ["ChineseContext", "Formatter", "NoArgsIsHelpError", "UsageError", "allowed",
           "choice_parser", "explain", "speak_chinese"]
