"""The command line speaking to a running service (``--server URL``) instead of the database.

The key stays on the member's machine: statements and sign-in challenges are signed here and
only signatures travel. A refusal comes back as the service's problem document and is shown as
its Chinese ``detail``; a service that cannot be reached is exit code 2.
"""

from __future__ import annotations

import base64
from typing import Any, NoReturn

import httpx

from ledger.api.auth import auth_message
from ledger.cli.root import fail
from ledger.domain.errors import Conflict, DomainError, InvalidInput, NotAuthorised, NotFound
from ledger.signing import MemberKey, Submission

TIMEOUT = 60.0
_ERRORS: dict[int, type[DomainError]] = {400: InvalidInput, 401: NotAuthorised,
                                         403: NotAuthorised, 404: NotFound, 409: Conflict}


class Client:
    """One service, one community."""

    def __init__(self, server: str, community: str) -> None:
        self.base = server.rstrip("/")
        self.community = community
        self.token: str | None = None
        try:
            self.origin = str(httpx.URL(self.base).copy_with(path="/", query=None)).rstrip("/")
        except (httpx.InvalidURL, TypeError, ValueError):
            fail(f"--server 不是有效的地址：{server}", 2)
        if not self.origin.startswith(("http://", "https://")):
            fail(f"--server 应以 http:// 或 https:// 开头：{server}", 2)

    def _url(self, path: str) -> str:
        return f"{self.base}/v1/communities/{self.community}{path}"

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = httpx.request(method, self._url(path), json=body, headers=headers,
                                     timeout=TIMEOUT)
        except httpx.HTTPError as exc:
            fail(f"无法连接服务 {self.base}：{type(exc).__name__}: {exc}", 2)
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 400:
            _refused(response.status_code, data)
        return response.status_code, data

    def sign_in(self, key: MemberKey) -> None:
        """A session for ``key``'s member: the challenge signed here (no password)."""
        _, issued = self.request("POST", "/auth/challenge")
        challenge = issued["challenge"]
        signature = key.private.sign(auth_message(self.community, self.origin, challenge))
        _, session = self.request("POST", "/auth/session", {
            "challenge": challenge, "key_id": key.key_id,
            "signature": base64.b64encode(signature).decode()})
        self.token = session["token"]

    def submit(self, submission: Submission) -> dict[str, Any]:
        _, receipt = self.request("POST", "/records", submission.to_json())
        return dict(receipt)

    def propose(self, submission: Submission) -> tuple[int, dict[str, Any]]:
        status, answer = self.request("POST", "/proposals", submission.to_json())
        return status, dict(answer)

    def proposals(self, status: str | None = None) -> list[dict[str, Any]]:
        _, answer = self.request("GET", "/proposals" + (f"?status={status}" if status else ""))
        return list(answer["proposals"])

    def proposal(self, proposal_id: str) -> dict[str, Any]:
        _, answer = self.request("GET", f"/proposals/{proposal_id}")
        return dict(answer)

    def cosign(self, proposal_id: str, key: MemberKey, statement: bytes) -> tuple[int, dict[str, Any]]:
        signature = key.private.sign(statement)
        status, answer = self.request("POST", f"/proposals/{proposal_id}/signatures", {
            "key_id": key.key_id, "signature": base64.b64encode(signature).decode()})
        return status, dict(answer)


def _refused(status: int, problem: Any) -> NoReturn:
    detail = problem.get("detail") if isinstance(problem, dict) else None
    code = problem.get("code") if isinstance(problem, dict) else None
    if status >= 500 or status == 429 or not isinstance(detail, str):
        fail(f"服务暂时无法处理（HTTP {status}）：{detail or '请稍后重试'}", 2)
    raise _ERRORS.get(status, DomainError)(detail, code=str(code or "refused"))
