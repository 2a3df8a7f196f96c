"""Uploads of published copies of attachments, content-addressed: ``PUT /v1/communities/{c}/files/<sha256>``
stores a file whose SHA-256 is its name (a member signed in; the service checks the hash), and
``GET`` serves it back. They live in the service's files folder (``sunlight serve --files-dir``),
one folder per community, so that the publish command can hand that folder to ``sunlight publish
--attachments``: the portal copies a file only when the log records its hash (and shows an
attachment whose copy is not published as such).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ledger.api import params
from ledger.api.auth import require_session
from ledger.api.context import services
from ledger.api.problems import ApiError
from ledger.api.records import json_response

MAX_FILE = 8 * 1024 * 1024
MEDIA_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}
_SHA256 = re.compile(r"[0-9a-f]{64}")


def file_body_limit(path: str) -> int | None:
    return MAX_FILE if "/files/" in path else None


def _where(request: Request) -> tuple[Path, str, str]:
    folder = request.app.state.files_dir
    if folder is None:
        raise ApiError(404, "files-not-configured", "本服务没有设置公开附件的存放目录（--files-dir），附件只登记哈希")
    community = params.community(request)
    digest = str(request.path_params["sha256"])
    if not _SHA256.fullmatch(digest):
        raise ApiError(400, "invalid-parameter", "附件地址应为文件内容的 SHA-256（64 位小写十六进制）")
    return Path(folder) / community, community, digest


async def put_file(request: Request) -> Response:
    s = services(request)
    folder, community, digest = _where(request)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in MEDIA_TYPES:
        raise ApiError(415, "unsupported-media-type", "公开附件只接受 JPEG、PNG、WebP 图片或 PDF 文件")
    data = await request.body()

    def store() -> bool:
        s.ledger.community(community)
        require_session(request, s.ledger, community)
        if hashlib.sha256(data).hexdigest() != digest:
            raise ApiError(400, "hash-mismatch", "文件内容的 SHA-256 与地址中的哈希不符：文件可能损坏，请重新选择")
        target = folder / digest
        if target.exists():
            return False
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)  # whole or not at all, under its hash
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        (folder / f"{digest}.type").write_text(media_type, encoding="ascii")
        return True

    created = await run_in_threadpool(store)
    return json_response({"sha256": digest, "size": len(data)}, 201 if created else 200)


async def get_file(request: Request) -> Response:
    folder, _community, digest = _where(request)
    path = folder / digest
    if not path.is_file():
        raise ApiError(404, "file-not-found", "没有这份公开附件")
    kind = folder / f"{digest}.type"
    media_type = kind.read_text(encoding="ascii") if kind.is_file() else "application/octet-stream"
    return FileResponse(path, media_type=media_type if media_type in MEDIA_TYPES else
                        "application/octet-stream", headers={
                            "Cache-Control": "public, max-age=31536000, immutable",
                            "X-Content-Type-Options": "nosniff",
                            "Content-Security-Policy": "sandbox; default-src 'none'"})
