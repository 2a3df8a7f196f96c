"""The Starlette application: the route table, the middleware, and the wiring.

Routes are an explicit list; each documents itself (:mod:`ledger.api.openapi`). Sync endpoints
run in Starlette's thread pool, where the ledger's blocking database calls belong.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route

from ledger.api import auth, communities, console, founding, ops, proposals, records, tlog, uploads, witness
from ledger.api import schemas as m
from ledger.api.consistency import HEADER as READ_AFTER
from ledger.api.consistency import READ_AFTER_WAIT, ReadYourWrites, ReplayWatch
from ledger.api.context import Services
from ledger.api.group import GroupCommitter
from ledger.api.limits import (
    BURST_PER_ADDRESS,
    BURST_PER_KEY,
    MAX_BODY,
    RATE_PER_ADDRESS,
    RATE_PER_KEY,
    AddressLimit,
    BodyLimit,
    RateLimiter,
    TokenBuckets,
)
from ledger.api.metrics import Metrics, RequestMetrics, metrics_endpoint
from ledger.api.openapi import (
    COMMUNITY,
    JSON,
    OCTETS,
    TEXT,
    ApiRoute,
    Body,
    Document,
    Operation,
    Param,
)
from ledger.api.paging import DEFAULT_LIMIT, MAX_BYTES, MAX_LIMIT
from ledger.api.problems import domain_error_handler, http_error_handler, server_error_handler
from ledger.api.publishing import Publisher, PublishFn
from ledger.api.reading import LOG_THREADS, READ_BUDGET, VIEW_THREADS, Reading
from ledger.api.readmodel import SNAPSHOT_EVERY, ReadModel
from ledger.api.witness import Witness
from ledger.api.witnessing import WitnessPusher
from ledger.application import Sunlight
from ledger.crypto.cosignature import CosignatureSigner
from ledger.crypto.note import Verifier
from ledger.domain.errors import DomainError
from ledger.proposals import Proposals
from ledger.store import reading_from_standby

VERSION = "1"
READ_AFTER_TEXT = ("仅在服务配置了读副本（--read-db）时给出：写入提交后主库的日志位置；之后的查询带上它"
                   "（同名请求头或 Cookie）即可读到这次写入")


@dataclass(frozen=True)
class Settings:
    """How one service process behaves; ``sunlight serve`` fills it from flags and environment."""

    rate_per_address: float = RATE_PER_ADDRESS  # requests per second per client address (0: no limit)
    burst_per_address: float = BURST_PER_ADDRESS
    rate_per_key: float = RATE_PER_KEY  # signed submissions per second per member key (0: no limit)
    burst_per_key: float = BURST_PER_KEY
    publish: PublishFn | None = None
    publisher_name: str = "not-configured"
    publish_delay: float = 2.0
    publish_max_delay: float = 30.0
    witness: CosignatureSigner | None = None
    witness_logs: tuple[Verifier, ...] = ()
    read_budget: float = READ_BUDGET  # seconds a read may take before it answers 503
    view_threads: int = VIEW_THREADS  # concurrent reads of the read views
    log_threads: int = LOG_THREADS  # concurrent reads of the log (checkpoint, tiles, proofs)
    snapshot_every: int = SNAPSHOT_EVERY  # entries between a community's snapshots (0: on stop)
    witness_delay: float = 1.0  # seconds of quiet before a new checkpoint goes to the witnesses
    witness_max_delay: float = 10.0
    witness_retry: float = 1.0  # first retry after a failed push; doubles up to witness_max_retry
    witness_max_retry: float = 60.0
    demo: bool = False  # ``sunlight demo``: the console may act as a demo member (public seeds)
    files_dir: str | None = None  # published copies of attachments, one folder per community
    portal_url: str | None = None  # the portal's public address ({community} substituted)
    read_after_wait: float = READ_AFTER_WAIT  # seconds a read waits for the standby to replay


def _int(name: str, description: str, minimum: int = 0) -> Param:
    return Param(name, "query", {"type": "integer", "minimum": minimum,
                                 "maximum": 2**53}, description, required=True)


def _q(name: str, description: str, pattern: str = r"^[A-Za-z0-9._-]{1,64}$") -> Param:
    return Param(name, "query", {"type": "string", "pattern": pattern}, description)


def routes() -> list[BaseRoute]:
    c = (COMMUNITY,)
    page = (
        Param("cursor", "query", {"type": "string", "pattern": r"^(0|[1-9][0-9]{0,15})$"},
              "上一页返回的 next_cursor（或 Link 响应头中的下一页地址）"),
        Param("limit", "query", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
              f"每页条数，默认 {DEFAULT_LIMIT}，最多 {MAX_LIMIT}（超出为 400）；"
              f"每页另有约 {MAX_BYTES // 1024} KiB 的上限，可能少于 limit 条"),
    )
    read_errors = (400, 404, 503)
    next_link = {200: {"Link": '下一页：<…?cursor=…>; rel="next"（最后一页没有）'}}
    record_filters = (
        _q("kind", "记录类型或其前缀，如 fund 或 fund.donation_recorded"),
        _q("category", "类别（公开事项类别、支出类别等）"),
        _q("estate", "小区编号"),
        _q("period", "期间前缀：2025、2025-03、2025-Q1", r"^[0-9]{4}(-[0-9A-Z]{1,2}){0,2}$"),
        *page,
    )
    dry_run = Param("dry_run", "query", {"type": "string", "enum": ["0", "1"]},
                    "1：按全部规则检查（含签名），不登记；被拒绝时与登记时的答复相同")
    sha256_param = Param("sha256", "path", {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                         "文件内容的 SHA-256", required=True)
    proposal_param = Param("proposal", "path", {"type": "string"}, "提案编号", required=True)
    tile_param = Param("tile", "path", {"type": "string"},
                       "<L>/<N>[.p/<W>] 或 entries/<N>[.p/<W>]（C2SP tlog-tiles）", required=True)
    return [
        ApiRoute("/v1/communities", communities.list_communities, methods=["GET"],
                 name="communities", operation=Operation(
                     "社区列表（按社区编号，游标分页）", "communities",
                     {200: Body(JSON, m.CommunityList)},
                     (Param("cursor", "query", {"type": "string",
                                                "pattern": r"^[a-z0-9][a-z0-9-]{1,62}$"},
                            "上一页返回的 next_cursor（上一页最后一个社区编号）"), page[1]),
                     errors=(400, 503), headers=next_link)),
        ApiRoute("/v1/communities/{community}", communities.get_community, methods=["GET"],
                 name="community", operation=Operation(
                     "社区概况", "communities", {200: Body(JSON, m.Community)}, c,
                     errors=read_errors)),
        ApiRoute("/v1/communities/{community}/members", communities.list_members,
                 methods=["GET"], name="members", operation=Operation(
                     "成员及其任期、职务、密钥（游标分页）", "communities",
                     {200: Body(JSON, m.MemberList)}, (*c, *page), errors=read_errors,
                     headers=next_link)),
        ApiRoute("/v1/communities/{community}/keys", communities.list_keys, methods=["GET"],
                 name="keys", operation=Operation(
                     "签名密钥（含已更换、已撤销；游标分页）", "communities",
                     {200: Body(JSON, m.KeyList)}, (*c, *page), errors=read_errors,
                     headers=next_link)),
        ApiRoute("/v1/communities/{community}/projections/{name}", communities.get_projection,
                 methods=["GET"], name="projection", operation=Operation(
                     "门户使用的视图（游标分页）：funds、fees、disclosures、decisions、evaluations、"
                     "projects，以及逐笔的 donations、grants、income、spends",
                     "communities", {200: Body(JSON, m.Projection)},
                     (*c, Param("name", "path", {"type": "string",
                                                 "enum": sorted(communities.PROJECTIONS)},
                                "视图名称", required=True), *page), errors=read_errors,
                     headers=next_link)),
        ApiRoute("/v1/communities/{community}/founding", founding.found_community,
                 methods=["POST"], name="found", operation=Operation(
                     "凭运营方的一次性建账邀请建立社区（建账声明在前）", "communities",
                     {201: Body(JSON, m.Founding, "社区已建账：日志、首批记录与检查点一并写入")}, c,
                     request=Body(JSON, m.FoundingIn, "建账声明及同时签署的记录"),
                     errors=(400, 403, 404, 409, 413, 415, 422, 503),
                     headers={201: {"Location": "社区地址", READ_AFTER: READ_AFTER_TEXT}},
                     security="foundingInvitation")),
        ApiRoute("/v1/communities/{community}/records", records.submit_record, methods=["POST"],
                 name="submit", operation=Operation(
                     "登记一份签名声明（任何记录类型）；?dry_run=1 只检查、不登记", "records",
                     {201: Body(JSON, m.Receipt, "已持久保存并写入日志；附包含证明"),
                      200: Body(JSON, {"anyOf": [{"$ref": "#/components/schemas/Receipt"},
                                                 {"$ref": "#/components/schemas/DryRun"}]},
                                "同一份声明此前已登记（幂等）；dry_run=1 时为检查结果")},
                     (*c, dry_run),
                     request=Body(JSON, m.SubmissionIn, "Submission.to_json() 的格式"),
                     errors=(400, 403, 404, 409, 413, 415, 422, 503),
                     headers={201: {"Location": "记录地址", READ_AFTER: READ_AFTER_TEXT},
                              200: {"Location": "记录地址", READ_AFTER: READ_AFTER_TEXT}})),
        ApiRoute("/v1/communities/{community}/batches", records.submit_batch, methods=["POST"],
                 name="batch", operation=Operation(
                     "批量登记（导入）：全部通过才全部登记；?dry_run=1 只检查，逐行说明错误", "records",
                     {201: Body(JSON, m.BatchReceipts, "已全部登记（此前已登记的声明标为 duplicate）"),
                      200: Body(JSON, m.DryRun, "dry_run=1：全部通过检查，什么都没有登记")},
                     (*c, dry_run), request=Body(JSON, m.BatchIn, "Submission.to_json() 的列表"),
                     errors=(400, 403, 404, 409, 413, 415, 422, 503))),
        ApiRoute("/v1/communities/{community}/files/{sha256}", uploads.put_file, methods=["PUT"],
                 name="put_file", operation=Operation(
                     "上传附件的公开副本（按 SHA-256 存放；服务核对哈希；仅限已登录的在任成员）", "records",
                     {201: Body(JSON, m.FileStored), 200: Body(JSON, m.FileStored, "此前已存放")},
                     (*c, sha256_param),
                     request=Body("application/octet-stream", {"type": "string", "format": "binary"},
                                  "文件内容（Content-Type：image/jpeg、image/png、image/webp 或 application/pdf）"),
                     errors=(400, 401, 404, 413, 415), security="memberSession")),
        ApiRoute("/v1/communities/{community}/files/{sha256}", uploads.get_file, methods=["GET"],
                 name="file", operation=Operation(
                     "附件的公开副本", "records", {200: Body(OCTETS, {"type": "string", "format": "binary"})},
                     (*c, sha256_param), errors=(400, 404))),
        ApiRoute("/v1/console/settings", console.console_settings, methods=["GET"],
                 name="console_settings", operation=Operation(
                     "控制台设置：门户的公开地址（回执链接到记录的门户页面）", "operations",
                     {200: Body(JSON, m.ConsoleSettings)})),
        ApiRoute("/v1/kinds", console.list_kinds, methods=["GET"], name="kinds",
                 operation=Operation("记录类型及其字段（供表单使用，来自记录类型登记表）", "records",
                                     {200: Body(JSON, m.KindList)})),
        ApiRoute("/v1/kinds/{kind}/template.{fmt}", console.template, methods=["GET"],
                 name="template", operation=Operation(
                     "记录类型的导入模板（中文表头；csv 为带 BOM 的 UTF-8，xlsx 带下拉选项）", "records",
                     {200: Body(OCTETS, {"type": "string", "format": "binary"})},
                     (Param("kind", "path", {"type": "string"}, "记录类型", required=True),
                      Param("fmt", "path", {"type": "string", "enum": ["csv", "xlsx"]}, "格式",
                            required=True)), errors=(404,))),
        ApiRoute("/v1/kinds/{kind}/rows", console.parse_rows, methods=["POST"], name="rows",
                 operation=Operation(
                     "读取填好的导入表格（CSV 或 XLSX）：每行的记录内容或错误（含行号）；不登记任何东西",
                     "records", {200: Body(JSON, m.ImportRows)},
                     (Param("kind", "path", {"type": "string"}, "记录类型", required=True),
                      Param("name", "query", {"type": "string", "maxLength": 200},
                            "文件名（.xlsx 按 Excel 读取，否则按 CSV）")),
                     request=Body(OCTETS, {"type": "string", "format": "binary"}, "表格文件"),
                     errors=(400, 404, 413))),
        ApiRoute("/v1/pairings", console.offer_key, methods=["POST"], name="offer_key",
                 operation=Operation("新成员登记公钥，取得配对码（密钥编号；24 小时内有效，存于数据库）",
                                     "communities", {201: Body(JSON, m.Pairing)},
                                     request=Body(JSON, m.PairingIn, "新成员的公钥"),
                                     errors=(400, 413, 503))),
        ApiRoute("/v1/pairings/{key_id}", console.find_key, methods=["GET"], name="find_key",
                 operation=Operation("按配对码取新成员的公钥（主任接纳成员时）", "communities",
                                     {200: Body(JSON, m.Pairing)},
                                     (Param("key_id", "path", {"type": "string"}, "配对码",
                                            required=True),), errors=(404,))),
        ApiRoute("/v1/qr", console.qr_svg, methods=["GET"], name="qr", operation=Operation(
            "二维码（SVG），供捐赠收据与配对码使用", "operations",
            {200: Body("image/svg+xml", {"type": "string"})},
            (Param("data", "query", {"type": "string", "maxLength": 512}, "二维码内容",
                   required=True),), errors=(400,))),
        ApiRoute("/v1/communities/{community}/records", records.list_records, methods=["GET"],
                 name="records", operation=Operation(
                     "记录列表（可按类型、类别、小区、期间筛选，游标分页）", "records",
                     {200: Body(JSON, m.RecordPage)}, (*c, *record_filters),
                     errors=read_errors, headers=next_link)),
        ApiRoute("/v1/communities/{community}/records/{index:int}", records.get_record,
                 methods=["GET"], name="record", operation=Operation(
                     "按日志序号取一条记录", "records", {200: Body(JSON, {"$ref":
                                                              "#/components/schemas/Record"})},
                     (*c, Param("index", "path", {"type": "integer", "minimum": 0,
                                                  "maximum": 2**53}, "日志序号", required=True)),
                     errors=read_errors)),
        ApiRoute("/v1/communities/{community}/auth/challenge", auth.challenge, methods=["POST"],
                 name="auth_challenge", operation=Operation(
                     f"成员登录第一步：取一次性挑战（{auth.CHALLENGE_SECONDS} 秒内有效）", "auth",
                     {201: Body(JSON, m.ChallengeOut)}, c, errors=(404, 503))),
        ApiRoute("/v1/communities/{community}/auth/session", auth.open_session, methods=["POST"],
                 name="auth_session", operation=Operation(
                     "成员登录第二步：用在任成员的密钥对“sunlight-auth-v1、社区、服务来源、挑战”签名，"
                     f"得到 {auth.SESSION_SECONDS // 60} 分钟的会话（Cookie 与令牌）", "auth",
                     {201: Body(JSON, m.SessionOut)}, c,
                     request=Body(JSON, m.SessionIn, "挑战、密钥编号与签名"),
                     errors=(400, 403, 404, 415, 503),
                     headers={201: {"Set-Cookie": "sunlight_session（HttpOnly、SameSite=Strict）"}})),
        ApiRoute("/v1/communities/{community}/proposals", proposals.propose, methods=["POST"],
                 name="propose", operation=Operation(
                     "提出一份签名声明：签名已满足签署规则即登记（201），否则保存为待共同签署的提案（202）",
                     "proposals",
                     {201: Body(JSON, m.Receipt, "签名已齐，已登记"),
                      200: Body(JSON, m.Receipt, "同一份声明此前已登记（幂等）"),
                      202: Body(JSON, m.ProposalKept, "已保存为提案，并写明还须谁签名")}, c,
                     request=Body(JSON, m.SubmissionIn, "Submission.to_json() 的格式，至少一个签名"),
                     errors=(400, 403, 404, 409, 413, 415, 422, 503),
                     headers={201: {"Location": "记录地址"}, 202: {"Location": "提案地址"}})),
        ApiRoute("/v1/communities/{community}/proposals", proposals.list_proposals,
                 methods=["GET"], name="proposals", operation=Operation(
                     "提案列表（待签、已登记、已过期；不含私密资料；仅限在任成员）", "proposals",
                     {200: Body(JSON, m.ProposalList)},
                     (*c, _q("status", "只列出某一状态：pending、appended、expired",
                             "^(pending|appended|expired)$")),
                     errors=(400, 401, 404, 503), security="memberSession")),
        ApiRoute("/v1/communities/{community}/proposals/{proposal}", proposals.get_proposal,
                 methods=["GET"], name="proposal", operation=Operation(
                     "一份提案（仅限在任成员）", "proposals", {200: Body(JSON, m.ProposalOut)},
                     (*c, proposal_param), errors=(401, 404, 503), security="memberSession")),
        ApiRoute("/v1/communities/{community}/proposals/{proposal}/signatures",
                 proposals.add_signature, methods=["POST"], name="cosign", operation=Operation(
                     "共同签署提案：对提案的声明原文签名；最后一个所需签名到达时即登记（201）",
                     "proposals",
                     {201: Body(JSON, m.Receipt, "签名已齐，已登记"),
                      200: Body(JSON, m.ProposalOut, "签名已加入（或此前已有），提案仍待签或已登记")},
                     (*c, proposal_param), request=Body(JSON, m.SignatureIn, "密钥编号与签名"),
                     errors=(400, 403, 404, 409, 413, 415, 422, 503),
                     headers={201: {"Location": "记录地址"}})),
        ApiRoute("/v1/communities/{community}/proofs/inclusion", tlog.get_inclusion_proof,
                 methods=["GET"], name="inclusion_proof", operation=Operation(
                     "包含证明（RFC 9162）", "log", {200: Body(JSON, m.InclusionProof)},
                     (*c, _int("index", "日志序号"), _int("size", "树大小", 1)),
                     errors=read_errors)),
        ApiRoute("/v1/communities/{community}/proofs/consistency", tlog.get_consistency_proof,
                 methods=["GET"], name="consistency_proof", operation=Operation(
                     "一致性证明（RFC 9162）", "log", {200: Body(JSON, m.ConsistencyProof)},
                     (*c, _int("old", "旧树大小"), _int("new", "新树大小")), errors=read_errors)),
        ApiRoute("/log/{community}/checkpoint", tlog.get_checkpoint, methods=["GET"],
                 name="checkpoint", operation=Operation(
                     "最新签名检查点（C2SP tlog-checkpoint）", "log",
                     {200: Body(TEXT, {"type": "string"})}, c, errors=(404, 503))),
        ApiRoute("/log/{community}/tile/{tile:path}", tlog.get_tile, methods=["GET"],
                 name="tile", operation=Operation(
                     "哈希瓦片与条目包（C2SP tlog-tiles）", "log",
                     {200: Body(OCTETS, {"type": "string", "format": "binary"})},
                     (*c, tile_param), errors=(404, 503))),
        ApiRoute("/witness/add-checkpoint", witness.add_checkpoint, methods=["POST"],
                 name="add_checkpoint", operation=Operation(
                     "见证：加签检查点（C2SP tlog-witness）", "witness",
                     {200: Body(TEXT, {"type": "string"}, "见证人的联署签名行"),
                      409: Body("text/x.tlog.size", {"type": "string"}, "见证人已知的树大小")},
                     request=Body(TEXT, {"type": "string"}, "old <size>、一致性证明、空行、签名检查点"),
                     errors=(400, 403, 404, 413, 422))),
        ApiRoute("/healthz", ops.healthz, methods=["GET"], name="healthz", operation=Operation(
            "进程存活（不查数据库，不占工作线程）", "operations", {200: Body(JSON, m.Health)})),
        ApiRoute("/readyz", ops.readyz, methods=["GET"], name="readyz", operation=Operation(
            "数据库可用", "operations", {200: Body(JSON, m.Health)}, errors=(503,))),
        ApiRoute("/status", ops.status, methods=["GET"], name="status", operation=Operation(
            "各社区日志长度与门户发布状态", "operations", {200: Body(JSON, m.Status)})),
        ApiRoute("/metrics", metrics_endpoint, methods=["GET"], name="metrics",
                 operation=Operation("Prometheus 指标", "operations",
                                     {200: Body("text/plain", {"type": "string"})})),
        Route("/openapi.json", ops.openapi, methods=["GET"], name="openapi"),
        Mount("/console", console.static_files(), name="console"),
    ]


def create_app(ledger: Sunlight, settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    metrics = Metrics()
    publisher = Publisher(settings.publish, name=settings.publisher_name,
                          delay=settings.publish_delay, max_delay=settings.publish_max_delay,
                          observe=lambda result, s: metrics.publish.labels(result).observe(s))
    limiter = RateLimiter(TokenBuckets(settings.rate_per_address, settings.burst_per_address),
                          TokenBuckets(settings.rate_per_key, settings.burst_per_key))
    reads = ReadModel(ledger, snapshot_every=settings.snapshot_every)
    witnessing = WitnessPusher(ledger, delay=settings.witness_delay,
                               max_delay=settings.witness_max_delay, retry=settings.witness_retry,
                               max_retry=settings.witness_max_retry,
                               # a new cosignature: the portal's checkpoint should carry it
                               cosigned=publisher.notify)
    metrics.registry.register(witnessing.collector())
    reading = Reading(reads, settings.read_budget, settings.view_threads, settings.log_threads)
    services = Services(
        ledger=ledger, reads=reads, publisher=publisher, limiter=limiter,
        metrics=metrics,
        witness=Witness(ledger, settings.witness, settings.witness_logs)
        if settings.witness is not None else None,
        writer=GroupCommitter(ledger),
        reading=reading,
        witnessing=witnessing)

    def warm() -> None:
        with reading_from_standby():  # a standby's prefix of each log will do, where there is one
            reads.warm()
            for info in ledger.communities():
                reads.quiet()
                reading.tree.warm(info.community_id)
        Proposals(ledger).expire()  # and erase their private data (also before every use)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # anyio loads its event-loop backend on first use: a large import that, on the first
        # read while a community loads, held the event loop for a tenth of a second or more.
        await anyio.sleep(0)
        # Fold every community's read view and writers' state, and read its tree hashes for
        # proofs, in the background now, not on the first reader or writer.
        threading.Thread(target=warm, name="sunlight-warm", daemon=True).start()
        publisher.start()
        witnessing.start()
        try:
            yield
        finally:
            publisher.stop()
            witnessing.stop()
            reads.close()  # and a snapshot of every community that grew since its last

    table = routes()
    if settings.demo:  # never documented, never served by ``sunlight serve``
        table.insert(0, Route("/v1/demo/members", console.demo_members, methods=["GET"]))
    app = Starlette(
        routes=table,
        middleware=[
            Middleware(RequestMetrics, metrics=metrics),
            Middleware(console.ConsoleHeaders),
            Middleware(BodyLimit, limit=MAX_BODY,
                       larger=lambda p: console.import_body_limit(p) or uploads.file_body_limit(p)),
            Middleware(AddressLimit, buckets=limiter.per_address,
                       on_limited=lambda scope: metrics.rate_limited.labels(scope).inc()),
            *([Middleware(ReadYourWrites, reads=ledger.reads, metrics=metrics,
                          watch=ReplayWatch(ledger.reads, settings.read_after_wait))]
              if ledger.reads.standby is not None else []),
        ],
        exception_handlers={DomainError: domain_error_handler,
                            HTTPException: http_error_handler,
                            Exception: server_error_handler},
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.files_dir = settings.files_dir
    app.state.portal_url = settings.portal_url
    app.state.openapi = Document(table, title="阳光账本 Sunlight API", version=VERSION)
    return app
