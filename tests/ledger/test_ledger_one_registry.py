"""No module but the kinds registry lists record kinds.

A list of kinds is any one construct that names two or more kinds, by their name (a string such
as ``"fund.opened"``) or their body class (``Fund.Opened``): the keys or elements of a dict, set,
list or tuple display, the patterns of a ``match`` statement, or the tests of an ``if``/``elif``
chain (``kind == …``, ``isinstance(body, …)``). Such a list is a
second registry that falls out of date when a kind is added; derive it from
:mod:`ledger.domain.kinds` instead. Using one kind at a time (the demo records each kind it
needs, a rule names the kind it is about) is not a list.
"""

from __future__ import annotations

import ast
from pathlib import Path

from ledger.domain.kinds import KINDS

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "ledger" / "domain" / "kinds.py"
NAMES = set(KINDS)
CLASSES = {k.body.__qualname__ for k in KINDS.values()}  # "Fund.Opened", ...


def kind_of(node: ast.AST) -> str | None:
    """The kind an expression names by itself: ``"fund.opened"``, ``Fund.Opened``,
    ``Fund.Opened.kind``."""
    if isinstance(node, ast.Constant) and node.value in NAMES:
        return str(node.value)
    if isinstance(node, ast.Attribute) and node.attr == "kind":
        node = node.value
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        dotted = f"{node.value.id}.{node.attr}"
        return dotted if dotted in CLASSES else None
    return None


def kinds_named(node: ast.AST) -> set[str]:
    """The kinds a test names (``==``, ``in``, ``isinstance``; ``and``/``or`` of those)."""
    found: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Compare):
            parts = [sub.left, *sub.comparators]
            parts += [e for p in parts if isinstance(p, ast.Tuple | ast.Set | ast.List)
                      for e in p.elts]
        elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) \
                and sub.func.id == "isinstance":
            parts = list(sub.args[1:])
            parts += [e for p in parts if isinstance(p, ast.Tuple) for e in p.elts]
        else:
            continue
        found |= {k for k in map(kind_of, parts) if k is not None}
    return found


def elements(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Dict):
        return [k for k in node.keys if k is not None]
    if isinstance(node, ast.Set | ast.List | ast.Tuple):
        return list(node.elts)
    if isinstance(node, ast.Match):
        return [p.cls for case in node.cases for p in ast.walk(case.pattern)
                if isinstance(p, ast.MatchClass)]
    return []


def if_chain(node: ast.If) -> list[ast.AST]:
    tests: list[ast.AST] = []
    current: ast.stmt | None = node
    while isinstance(current, ast.If):
        tests.append(current.test)
        current = current.orelse[0] if len(current.orelse) == 1 else None
    return tests


def lists_of_kinds(source: str) -> list[tuple[int, set[str]]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict | ast.Set | ast.List | ast.Tuple | ast.Match):
            named = {k for k in map(kind_of, elements(node)) if k is not None}
        elif isinstance(node, ast.If):
            named = set().union(*(kinds_named(t) for t in if_chain(node)))
        else:
            continue
        if len(named) >= 2:
            found.append((node.lineno, named))
    return found


def test_the_check_finds_a_second_list() -> None:
    assert lists_of_kinds('X = {"fund.opened": 1, "fee.spend_recorded": 2}')
    assert lists_of_kinds("X = (Fund.Opened, Fee.SpendRecorded)")
    assert lists_of_kinds("match b:\n    case Fund.Opened(): pass\n    case Member.Revoked(): pass")
    assert lists_of_kinds('if k == "fund.opened":\n    pass\nelif k == "member.revoked":\n    pass')
    assert lists_of_kinds("if isinstance(b, Fund.Opened):\n    pass\n"
                          "elif isinstance(b, Member.Revoked):\n    pass")
    assert lists_of_kinds("X = {Fund.Opened.kind: 1, Member.Revoked.kind: 2}")
    assert not lists_of_kinds('record("fund.opened", {})\nrecord("member.revoked", {})')
    assert not lists_of_kinds('setup = [sub("fund.opened", {}), sub("member.revoked", {})]')


def test_no_module_but_the_registry_lists_kinds() -> None:
    offenders = []
    for package in ("ledger", "publisher", "bench"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == REGISTRY:
                continue
            for line, named in lists_of_kinds(path.read_text(encoding="utf-8")):
                offenders.append(f"{path.relative_to(ROOT)}:{line} lists {sorted(named)}")
    assert not offenders, "derive these from ledger.domain.kinds:\n" + "\n".join(offenders)


def test_module_class_and_kind_prefix_agree() -> None:
    """``fund.opened`` is ``Fund.Opened`` in ``ledger/domain/fund.py``; a decision's meeting is
    the one exception the prefix allows: ``decision.meeting_held`` is ``Meeting.Held`` beside
    ``Decision`` in ``decision.py``."""
    for name, kind in KINDS.items():
        prefix = name.split(".", 1)[0]
        assert kind.body.__module__ == f"ledger.domain.{prefix}", name
        outer = kind.body.__qualname__.split(".", 1)[0]
        assert outer.lower() == prefix or (outer, prefix) == ("Meeting", "decision"), name
