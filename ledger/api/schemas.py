"""The JSON bodies the service accepts and answers, as pydantic models.

They exist for the contract: endpoints build plain dicts, and ``/openapi.json`` takes its
schemas from these models' ``model_json_schema()``. Their validators are built only then
(``defer_build``): the service starts without them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

HEX64 = r"^[0-9a-f]{64}$"
B64_HASH = r"^[A-Za-z0-9+/]{43}=$"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class PrivateRecordIn(Model):
    commitment: str = Field(pattern=HEX64, description="SHA-256(salt || 规范化资料)，十六进制")
    salt: str = Field(pattern=r"^[0-9a-f]{64}$", description="32 字节盐，十六进制")
    data: dict[str, str] = Field(description="个人资料（只存私密库，不进日志）")


SIGNATURE = r"^[A-Za-z0-9+/]{86}==$"
KEY_ID = r"^[0-9a-f]{16}$"


class SignatureIn(Model):
    key_id: str = Field(pattern=KEY_ID, description="签名密钥编号")
    signature: str = Field(pattern=SIGNATURE, description="成员 Ed25519 签名（base64，64 字节）")


class SubmissionIn(Model):
    """A signed statement, exactly as ``sunlight`` signs it (``Submission.to_json()``): one
    signature (``signature`` and ``key_id``) or, signed by several members, ``signatures``."""

    statement: str = Field(min_length=1, max_length=60_000,
                           description="RFC 8785 规范 JSON 声明：v、community、kind、at、body")
    signature: str | None = Field(default=None, pattern=SIGNATURE,
                                  description="成员 Ed25519 签名（base64，64 字节）")
    key_id: str | None = Field(default=None, pattern=KEY_ID, description="签名密钥编号")
    signatures: list[SignatureIn] | None = Field(
        default=None, min_length=1, max_length=8,
        description="多位成员共同签署：每位的签名与密钥编号（与 signature、key_id 二选一）")
    private: list[PrivateRecordIn] = Field(default=[], max_length=20)


class BatchIn(Model):
    """Statements recorded all together or not at all (an import from a paper ledger)."""

    records: list[SubmissionIn] = Field(min_length=1, max_length=500)


class DryRun(Model):
    dry_run: bool = Field(description="只检查，未登记")
    accepted: int = Field(ge=1, description="通过检查的声明数")


class PairingIn(Model):
    public_key: str = Field(pattern=r"^[A-Za-z0-9+/]{43}=$", description="新成员的 Ed25519 公钥（base64）")
    name: str = Field(default="", max_length=32, description="新成员自报的称呼（仅供主任核对）")


class Pairing(Model):
    key_id: str = Field(pattern=KEY_ID, description="配对码：密钥编号")
    public_key: str
    name: str


class KindList(Model):
    kinds: list[dict[str, Any]] = Field(
        description="每种记录：中文名称、签名职务、字段（名称、说明、形态、可选值、引用、嵌套）")
    roles: list[dict[str, Any]]


class ConsoleSettings(Model):
    portal_url: str | None = Field(description="门户的公开地址（SUNLIGHT_PUBLIC_URL；{community} 换成社区编号）")


class FileStored(Model):
    sha256: str = Field(pattern=HEX64)
    size: int = Field(ge=0)


class ImportRows(Model):
    rows: list[dict[str, Any]] = Field(description="每行：line（行号）与 body、person、commitment_field，或 error")


class Receipt(Model):
    """Where the record is in the log, and the proof that it is there."""

    community: str
    index: int = Field(ge=0, description="日志序号")
    statement_hash: str = Field(pattern=HEX64)
    duplicate: bool = Field(description="同一份声明此前已登记（幂等）")
    checkpoint: str = Field(description="覆盖该条目的签名检查点（C2SP signed note）")
    tree_size: int = Field(ge=1)
    inclusion_proof: list[str] = Field(description="包含证明，base64 哈希，叶子的兄弟节点在前")
    proof: str = Field(description="离线证明文件（c2sp.org/tlog-proof@v1）")


class BatchReceipts(Model):
    receipts: list[Receipt]


class FoundingIn(Model):
    """A community's founding: ``community.founded`` first, then what its founder signed with it."""

    records: list[SubmissionIn] = Field(min_length=1, max_length=50)


class Founding(Model):
    """The founded community: its log's name and verifier key, and where each record is."""

    community: str
    origin: str
    verifier_key: str = Field(description="检查点验签公钥（note verifier key）")
    receipts: list[Receipt]


class Community(Model):
    community: str
    origin: str = Field(description="日志名称（检查点首行）")
    verifier_key: str = Field(description="检查点验签公钥（note verifier key）")
    size: int = Field(ge=0)
    name: str | None = None
    estates: list[dict[str, Any]] = []


class CommunityList(Model):
    communities: list[Community]
    next_cursor: str | None = Field(description="下一页游标（亦见 Link 响应头）；没有更多时为 null")


class Key(Model):
    key_id: str
    public_key: str
    member_id: str
    added_index: int
    retired_index: int | None
    retired_reason: str | None


class Member(Model):
    member_id: str
    name: str
    role: str
    role_zh: str
    term_start: str
    term_end: str | None
    active: bool
    keys: list[Key]


class MemberList(Model):
    members: list[Member]
    next_cursor: str | None = Field(description="下一页游标（亦见 Link 响应头）；没有更多时为 null")


class KeyList(Model):
    keys: list[Key]
    next_cursor: str | None = Field(description="下一页游标（亦见 Link 响应头）；没有更多时为 null")


class Record(Model):
    index: int = Field(ge=0)
    kind: str
    title_zh: str
    at: str = Field(description="签名时间（UTC）")
    accepted_at: str = Field(description="登记时间（UTC）")
    key_id: str = Field(description="签名密钥编号（共同签署时为第一位签名人的）")
    cosigner_key_ids: list[str] = Field(description="共同签署的其他签名人的密钥编号（一人签名时为空）")
    statement_hash: str = Field(pattern=HEX64)
    body: dict[str, Any] = Field(description="记录内容，见各记录类型的模式")
    entry: str = Field(description="日志条目原文（默克尔树叶子）")


class RecordPage(Model):
    records: list[Record]
    next_cursor: str | None = Field(description="下一页游标（亦见 Link 响应头）；没有更多时为 null")


class Projection(Model):
    community: str
    size: int = Field(ge=0, description="投影所依据的日志长度")
    items: list[dict[str, Any]]
    next_cursor: str | None = Field(description="下一页游标（亦见 Link 响应头）；没有更多时为 null")


class InclusionProof(Model):
    index: int = Field(ge=0)
    tree_size: int = Field(ge=1)
    leaf_hash: str = Field(pattern=B64_HASH)
    hashes: list[str]


class ConsistencyProof(Model):
    old: int = Field(ge=0)
    new: int = Field(ge=0)
    hashes: list[str]


class PublishStatus(Model):
    state: str = Field(description="not-configured | idle | pending | running | ok | failed")
    last_started_at: str | None = None
    last_finished_at: str | None = None
    last_duration_s: float | None = None
    last_result: str | None = None
    last_error: str | None = None


class RefusedSnapshot(Model):
    size: int
    reason: str
    at: str


class SnapshotStatus(Model):
    size: int = Field(description="最新快照对应的日志长度（0：尚无快照）")
    refused: RefusedSnapshot | None = Field(
        description="最近一次未被采用的快照及原因（根哈希不符、无法解码、旧格式）")


class WitnessStatus(Model):
    name: str = Field(description="见证人公钥中的名称")
    label: str = Field(description="门户上对见证人的称呼（sunlight witness add --name；未设置时同 name）")
    url: str
    state: str = Field(description="idle | ok | retrying（见证人不可达或拒绝，按退避重试）")
    cosigned_size: int = Field(description="见证人已联署的树大小")
    lag_entries: int = Field(description="日志长度减去已联署的树大小")
    lag_seconds: float = Field(description="最早未联署的检查点已等待的秒数（0：已跟上）")
    last_error: str | None = None


class CommunityStatus(Model):
    size: int
    read_view: str = Field(description="读视图：cold（尚未载入）| loading（载入中）| ready")
    snapshot: SnapshotStatus
    publish: PublishStatus
    witnesses: list[WitnessStatus] = Field(description="本社区配置的见证人及其滞后")


class ReadDbStatus(Model):
    replayed: str | None = Field(description="热备库已重放到的日志位置（未应答时为 null）")
    behind_bytes: int | None = Field(description="热备库落后主库的日志字节数（未知时为 null）")


class Status(Model):
    service: str
    publisher: str = Field(description="发布程序：not-configured 或其名称")
    witness: str | None = Field(description="见证人公钥（未配置时为 null）")
    communities: dict[str, CommunityStatus]
    read_db: ReadDbStatus | None = Field(None, description="读副本（--read-db）的重放进度；未配置时为 null")


class ProposalOut(Model):
    """A statement waiting for co-signatures (never its private data)."""

    id: str = Field(pattern=r"^[A-Za-z0-9_-]{22}$", description="提案编号（随机）")
    community: str
    kind: str = Field(description="记录类型")
    statement: str = Field(description="待签的声明原文：共同签署者须对这些字节签名")
    statement_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    signatures: list[SignatureIn] = Field(description="已有的签名")
    status: str = Field(description="pending 待签、appended 已登记、expired 已过期")
    missing: list[str] = Field(description="还须谁签名（中文）")
    held: str | None = Field(description="签名已齐但暂缓登记的原因（如有异议）")
    has_private_data: bool = Field(description="是否附有私密资料（资料本身不公开，过期即删除）")
    created_at: str
    expires_at: str
    closed_at: str | None
    log_index: int | None = Field(description="已登记时的日志序号")


class ProposalList(Model):
    proposals: list[ProposalOut]


class ProposalKept(ProposalOut):
    message: str = Field(description="已保存为提案，还须谁签名（中文）")


class ChallengeOut(Model):
    challenge: str = Field(description="一次性随机挑战（base64url）")
    expires_at: str = Field(description="挑战的失效时间（UTC）")
    message: str = Field(description="须签名的消息格式")


class SessionIn(Model):
    challenge: str = Field(min_length=1, max_length=100)
    key_id: str = Field(pattern=KEY_ID, description="在任成员的签名密钥编号")
    signature: str = Field(pattern=SIGNATURE, description="对登录消息的 Ed25519 签名（base64）")


class SessionOut(Model):
    token: str = Field(description="会话令牌：命令行客户端以 Authorization: Bearer 使用")
    expires_at: str
    member_id: str
    key_id: str


class Health(Model):
    status: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[dict[str, Any]] | None = None
