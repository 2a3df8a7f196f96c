"""``sunlight keys``: a member's Ed25519 key files (PKCS#8 PEM, readable by the owner only)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.root import app, fail, read_input
from ledger.signing import MemberKey, PrivateRecord, Statement, Submission

keys_app = typer.Typer(help="成员签名密钥：生成、查看、列出。", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

KeyDir = Annotated[Path, typer.Option("--dir", envvar="SUNLIGHT_KEYS", help="密钥目录")]


def key_path(name_or_path: str, directory: Path) -> Path:
    path = Path(name_or_path)
    if path.suffix == ".key" or path.parent != Path("."):
        return path
    return directory / f"{name_or_path}.key"


def load_key(name_or_path: str, directory: Path) -> MemberKey:
    """A member's key file: exit 2 when it cannot be read, exit 1 when it is not a key."""
    path = key_path(name_or_path, directory)
    if not path.parent.is_dir():  # a mistyped folder, most likely: say where we looked
        fail(f"无法读取密钥文件 {path}：密钥目录 {path.parent} 不存在（当前目录：{Path.cwd()}）。"
             "请在保存密钥的目录运行，或用 --dir（或环境变量 SUNLIGHT_KEYS）指定密钥目录", 2)
    read_input(path, "密钥文件")
    return MemberKey.load(path)


def load_signers(names: list[str], directory: Path) -> list[MemberKey]:
    """The keys of ``-k`` given once or more (members signing together)."""
    return [load_key(name, directory) for name in names]


def sign_together(keys: list[MemberKey], statement: Statement,
                  private: tuple[PrivateRecord, ...] = ()) -> Submission:
    """``statement`` signed by every key in ``keys`` (one submission, one entry)."""
    submission = replace(keys[0].sign(statement), private=private)
    for key in keys[1:]:
        submission = key.cosign(submission)
    return submission


@keys_app.command("new")
def keys_new(name: Annotated[str, typer.Argument(help="密钥名（保存为 DIR/NAME.key）或文件路径")],
             directory: KeyDir = Path("keys")) -> None:
    """生成一把新的 Ed25519 签名密钥，私钥文件权限为 0600。"""
    path = key_path(name, directory)
    if path.exists():
        fail(f"{path} 已存在；不会覆盖已有密钥")
    key = MemberKey.generate()
    key.save(path)
    typer.echo(f"已生成 {path}")
    typer.echo(f"key_id:     {key.key_id}")
    typer.echo(f"public_key: {key.public_b64}")


@keys_app.command("show")
def keys_show(name: Annotated[str, typer.Argument(help="密钥名或文件路径")],
              directory: KeyDir = Path("keys")) -> None:
    """显示密钥的公钥与 key_id（不显示私钥）。"""
    key = load_key(name, directory)
    typer.echo(f"key_id:     {key.key_id}")
    typer.echo(f"public_key: {key.public_b64}")


@keys_app.command("list")
def keys_list(directory: KeyDir = Path("keys")) -> None:
    """列出密钥目录中的全部密钥。"""
    files = sorted(directory.glob("*.key")) if directory.is_dir() else []
    if not files:
        typer.echo(f"{directory} 中没有密钥")
        return
    for path in files:
        key = MemberKey.load(path)
        mode = path.stat().st_mode & 0o777
        warning = "" if mode == 0o600 else f"  警告：权限为 {mode:o}，应为 600"
        typer.echo(f"{path.stem:20} {key.key_id}  {key.public_b64}{warning}")
