"""``sunlight demo``: the demo community 幸福里 (:mod:`ledger.demo`) recorded, its portal built
and previewed. Named, like every module here, after the command it defines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.root import app, check_port, fail
from ledger.redaction import redact

DEMO_DB = "demo-ledger.db"


@app.command("demo")
def demo(out: Annotated[Path, typer.Option(help="演示目录（数据库与门户）")] = Path("demo"),
         port: Annotated[int, typer.Option(help="本地预览端口")] = 8000,
         console_port: Annotated[int | None, typer.Option(
             help="委员控制台的端口（默认为预览端口加 1）")] = None,
         serve: Annotated[bool, typer.Option(help="建好后在本地预览门户")] = True,
         db: Annotated[str | None, typer.Option("--db", help=f"默认 OUT/{DEMO_DB}（每次重建）")]
         = None) -> None:
    """演示：幸福里社区一年的签名记录 → 透明日志 → 公开门户，并在本地预览。"""
    from ledger.application import Sunlight
    from ledger.demo import COMMUNITY, NOTICE, WITNESS_LABEL, build_demo, cosign_as_witness
    from publisher import publish, serve_site
    from publisher.preview import make_server
    from publisher.witnesses import Witness

    console_port = port + 1 if console_port is None else console_port
    if serve:
        check_port("127.0.0.1", port)  # before the build, not after it
        check_port("127.0.0.1", console_port, "--console-port")
    out.mkdir(parents=True, exist_ok=True)
    if db is None:
        # Only the demo's own database file is ever replaced -- never a real sunlight.db.
        for stale in out.glob(f"{DEMO_DB}*"):
            stale.unlink()
        db = f"sqlite:///{out / DEMO_DB}"
    ledger = Sunlight(db)
    build_demo(ledger)
    witness = Witness(WITNESS_LABEL, cosign_as_witness(ledger))
    size = ledger.size(COMMUNITY)
    typer.echo(f"已登记幸福里社区 {size} 条签名记录，数据库：{redact(db)}")
    typer.echo(f"日志验证公钥：{ledger.community(COMMUNITY).verifier_key}")
    typer.echo(NOTICE)
    site = out / "site"
    marker = site / ".sunlight-demo"
    if site.exists() and not marker.exists():
        fail(f"{site} 已存在，且不是演示门户；请用 --out 指定另一个目录")
    site.mkdir(parents=True, exist_ok=True)
    marker.touch()  # the portal is rebuilt in place (incrementally) on the next demo
    publish(ledger, COMMUNITY, site, base_url=f"http://127.0.0.1:{port}/", witnesses=(witness,))
    if serve:
        console = _serve_console(db, site, out / "files", port, console_port)
        typer.echo(f"委员控制台已在 {console}/console/ 提供服务；以演示成员身份使用：{console}/console/#/demo")
        serve_site(make_server(site, "127.0.0.1", port))


def _serve_console(db: str, site: Path, files: Path, portal_port: int, port: int) -> str:
    """The service with the console on ``port``, in a thread, for the demo: it republishes the
    portal after each new record, and lets the console act as a demo member."""
    import threading
    import time

    import uvicorn

    from ledger.api import Settings, create_app
    from ledger.application import Sunlight
    from ledger.demo import WITNESS_LABEL, cosign_as_witness
    from publisher import publish
    from publisher.witnesses import Witness

    check_port("127.0.0.1", port)

    def republish(community: str) -> None:
        ledger = Sunlight(db)
        try:
            witness = Witness(WITNESS_LABEL, cosign_as_witness(ledger, community))
            publish(ledger, community, site, base_url=f"http://127.0.0.1:{portal_port}/",
                    witnesses=(witness,), attachments=files / community)
        finally:
            ledger.close()

    app = create_app(Sunlight(db), Settings(demo=True, publish=republish, publisher_name="demo",
                                            files_dir=str(files),
                                            portal_url=f"http://127.0.0.1:{portal_port}/"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="sunlight-demo-console", daemon=True)
    thread.start()
    while not server.started:  # listening before the portal is announced
        if not thread.is_alive():
            fail(f"控制台无法在端口 {port} 启动")
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}"
