"""The verifier's report for people: Chinese first, English after, one line per failure."""

from __future__ import annotations

from ledger.audit.verify import Report

SHOWN = 50


def human_report(report: Report) -> str:
    lines = [f"核验对象 Target: {report.target}"]
    if report.origin:
        lines.append(f"日志 Log: {report.origin}  共 {report.size} 条记录 entries  "
                     f"根哈希 root {report.root_hash}")
    if report.community_id:
        lines.append(f"社区 Community: {report.community_id}")
    if report.quorum or report.witnesses:
        lines.append(f"见证人 Witnesses: {len(report.witnesses)} 位联署 cosigned "
                     f"({', '.join(report.witnesses) or '-'})，要求 required {report.quorum}")
    if report.trusted_size is not None:
        lines.append(f"受信任检查点 Trusted checkpoint: {report.trusted_size} 条 entries")
    lines.append(f"已核验 Checked: {report.entries_checked} 条记录 entries，"
                 f"{report.signatures_checked} 个签名 signatures，用时 {report.seconds:.1f} s")
    if report.cosigned_entries:
        lines.append(f"共同签署 Co-signed: {report.cosigned_entries} 条记录 entries 由多位成员签名，"
                     "每个签名均已核验 (every signature checked)")
    if report.complete:
        lines.append(policy_line(report))
    if report.verified:
        lines.append("结果 Result: 全部通过 VERIFIED —— 检查点签名、瓦片、根哈希、每个签名与签名人资格、"
                     "每条规则均已核验 (checkpoint, tiles, root, every signature and signer, every rule)")
        return "\n".join(lines)
    lines.append(f"结果 Result: 核验失败 VERIFICATION FAILED —— {report.failure_count} 处问题 problems")
    for failure in report.sorted_failures()[:SHOWN]:
        where = "检查点 checkpoint" if failure.index is None else f"第 {failure.index} 条 entry #{failure.index}"
        lines.append(f"  {where} [{failure.code}] {failure.message_zh}")
        lines.append(f"      {failure.message_en}")
    if report.failure_count > SHOWN:
        lines.append(f"  …… 另有 {report.failure_count - SHOWN} 处 (and {report.failure_count - SHOWN} more; "
                     "use --json)")
    if not report.complete:
        lines.append("  日志未能读完：之后的记录未核验 (the log could not be read to the end)")
    return "\n".join(lines)


def policy_line(report: Report) -> str:
    """Which signing policy the verification applied (the one in force at each entry)."""
    if report.policy_from is None:
        return ("签署规则 Signing policy: 未设定——本日志早于共同签署规则，每条记录一人签名即可 "
                "(none: one signature per entry sufficed)")
    which = "默认规则 the default policy" if report.policy_default else "社区设定的规则 the community's own"
    return (f"签署规则 Signing policy: 自第 {report.policy_from} 条起为{which}，每条记录均按当时的规则核验 "
            f"(in force from entry #{report.policy_from}; each entry checked against the policy then in force)")
