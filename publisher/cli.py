"""``sunlight publish``: builds a community's public portal from its log."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.common import DbOption, check_port, fail, open_ledger

DEFAULT_OUT = Path("build/portal")


def register(app: typer.Typer) -> None:
    app.command("publish", help="根据日志生成社区公开门户（静态网站）。")(publish_command)


def publish_command(
    db: DbOption,
    community: Annotated[str | None, typer.Option(
        "--community", help="社区编号；库中只有一个社区时可省略")] = None,
    out: Annotated[Path, typer.Option("--out", help="输出目录")] = DEFAULT_OUT,
    base_url: Annotated[str, typer.Option(
        "--base-url", envvar="SUNLIGHT_PUBLIC_URL",
        help="网站的公开地址，用于二维码和核验命令，如 https://example.org/xingfuli/")
    ] = "http://127.0.0.1:8000/",
    serve: Annotated[bool, typer.Option("--serve", help="生成后在本机提供浏览")] = False,
    port: Annotated[int, typer.Option("--port", help="--serve 使用的端口")] = 8000,
) -> None:
    from publisher.build import PublishError, publish
    from publisher.serve import serve_site

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if serve:
        check_port("127.0.0.1", port)  # before the build, not after it
    ledger = open_ledger(db)
    if community is None:
        ids = [c.community_id for c in ledger.communities()]
        if len(ids) != 1:
            fail("请用 --community 指定社区编号" + (f"（现有：{'、'.join(ids)}）" if ids else
                                            "（库中还没有社区）"))
        community = ids[0]
    try:
        result = publish(ledger, community, out, base_url=base_url)
    except PublishError as exc:
        fail(str(exc), 2)
    typer.echo(f"已生成门户：{result.out_dir}（{result.records} 条记录，"
               f"{sum(result.seconds.values()):.1f} 秒）")
    if not result.log_exported:
        typer.echo("注意：未能导出 /log/ 日志分片", err=True)
    if not result.searchable:
        typer.echo("注意：未安装 pagefind，网站没有搜索功能", err=True)
    if serve:
        serve_site(result.out_dir, "127.0.0.1", port)
