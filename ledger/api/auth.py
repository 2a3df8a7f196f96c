"""Signing in without passwords: a member proves they hold a key in office by signing a challenge.

1. ``POST /v1/communities/{c}/auth/challenge`` answers a random single-use challenge (valid
   :data:`CHALLENGE_SECONDS`).
2. The member signs :func:`auth_message` -- a domain-separated text naming the challenge, the
   community and the origin of the service they believe they are talking to (``https://host``,
   checked against the host the request was sent to), so that a signature made for one service
   or community is useless anywhere else, and no statement can ever be mistaken for it (a
   statement is JSON; this text is not).
3. ``POST /v1/communities/{c}/auth/session`` with ``challenge``, ``key_id`` and ``signature``
   uses the challenge up (whatever the outcome), checks that the key is the current key of a
   member in office and that the signature verifies, and opens a session of
   :data:`SESSION_SECONDS`: an HttpOnly, SameSite=Strict cookie (Secure over https) for the
   browser, and the same token in the answer for command-line clients (``Authorization: Bearer``).

Challenges and sessions are kept in the database (only the SHA-256 of each token): every worker
process and every service sharing the database honours them, a challenge is used once across all
of them, and a session can be ended. A session unlocks member-only reads (the proposals); it
never authorises a record -- every record is authorised by its own signatures.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ledger.api import params
from ledger.api.context import services
from ledger.api.problems import ApiError
from ledger.api.records import json_response, parse_json
from ledger.api.schemas import SessionIn
from ledger.application import Sunlight
from ledger.domain.errors import DomainError, NotAuthorised, SignatureInvalid
from ledger.founding import token_hash
from ledger.signing import format_accepted, verify_signature
from ledger.store import SessionRow

CHALLENGE_SECONDS = 120
SESSION_SECONDS = 15 * 60
COOKIE = "sunlight_session"
DOMAIN = "sunlight-auth-v1"


def auth_message(community: str, origin: str, challenge: str) -> bytes:
    """The bytes a member signs to sign in (never JSON, so never a statement)."""
    return f"{DOMAIN}\ncommunity={community}\norigin={origin}\nchallenge={challenge}\n".encode()


def origins_of(request: Request) -> tuple[str, str]:
    """The origins a member may have signed for: ``https://`` and ``http://`` with the host (and
    port) this request was sent to. The host is what binds a signature to this service; either
    scheme, because a proxy in front may end TLS (``sunlight serve`` trusts no proxy headers)."""
    netloc = request.url.netloc
    return f"https://{netloc}", f"http://{netloc}"


def _https(request: Request) -> bool:
    """Whether the member's browser reached us over https (directly, or through a proxy that
    says so: trusting it only ever makes the cookie stricter)."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


async def challenge(request: Request) -> Response:
    s = services(request)
    community = params.community(request)

    def issue() -> dict[str, str]:
        s.ledger.community(community)  # 404 for a community this service does not host
        token = secrets.token_urlsafe(32)
        now = s.ledger.clock()
        expires = now + timedelta(seconds=CHALLENGE_SECONDS)
        s.ledger.store.add_challenge(token_hash(token), community, expires, now)
        return {"challenge": token, "expires_at": format_accepted(expires),
                "message": f"{DOMAIN}\\ncommunity={community}\\norigin=<scheme://host:port>"
                           f"\\nchallenge=<challenge>\\n"}

    return json_response(await run_in_threadpool(issue), 201)


async def open_session(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    params.require_json(request, "登录签名")
    body = parse_json(await request.body(), SessionIn)
    origins = origins_of(request)
    try:
        signature = base64.b64decode(body["signature"], validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "submission-malformed", "签名应为 base64") from None

    def sign_in() -> tuple[str, SessionRow]:
        ledger = s.ledger
        ledger.community(community)
        expires = ledger.store.take_challenge(token_hash(body["challenge"]), community)
        if expires is None:
            raise NotAuthorised("登录挑战无效或已用过：请重新获取挑战再签名", code="challenge-invalid")
        if expires <= ledger.clock():
            raise NotAuthorised("登录挑战已过期：请重新获取挑战再签名", code="challenge-expired")
        member_id, public_key = ledger.member_in_office(community, body["key_id"])
        if not any(_verifies(public_key, auth_message(community, origin, body["challenge"]),
                             signature) for origin in origins):
            raise SignatureInvalid(
                f"登录签名无效：须用该密钥对本服务（{origins[0]}）、社区 {community} 和这次的挑战签名",
                code="signature-invalid")
        token = secrets.token_urlsafe(32)
        now = ledger.clock()
        session = SessionRow(community, member_id, body["key_id"],
                             now + timedelta(seconds=SESSION_SECONDS))
        ledger.store.add_session(token_hash(token), session, now)
        return token, session

    token, session = await run_in_threadpool(sign_in)
    response = json_response({"token": token, "expires_at": format_accepted(session.expires_at),
                              "member_id": session.member_id, "key_id": session.key_id}, 201)
    response.set_cookie(COOKIE, token, max_age=SESSION_SECONDS,
                        path=f"/v1/communities/{community}", httponly=True, samesite="strict",
                        secure=_https(request))
    return response


def _verifies(public_key: str, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` verifies; a weak key is refused as such (``weak-key``)."""
    try:
        verify_signature(public_key, message, signature)
    except SignatureInvalid as exc:
        if exc.code != "signature-invalid":
            raise
        return False
    return True


def require_session(request: Request, ledger: Sunlight, community: str) -> SessionRow:
    """The request's session for ``community`` (a bearer token or the cookie), its member still
    in office; otherwise a Chinese 401. Call it in a worker thread (it reads the database)."""
    token = None
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        token = header[7:].strip()
    if not token:
        token = request.cookies.get(COOKIE)
    found = ledger.store.session(token_hash(token)) if token and len(token) <= 200 else None
    if found is None or found.community_id != community:
        raise _unauthorised("此内容仅限本社区在任成员查看：请先用成员密钥签名登录", "session-required")
    if found.expires_at <= ledger.clock():
        raise _unauthorised("登录已过期：请重新用成员密钥签名登录", "session-expired")
    try:
        ledger.member_in_office(community, found.key_id)
    except DomainError as exc:
        raise _unauthorised(f"登录的成员已不在任：{exc.message}", "session-not-in-office") from None
    return found


def _unauthorised(message: str, code: str) -> ApiError:
    return ApiError(401, code, message, {"WWW-Authenticate": 'Bearer realm="sunlight"'})
