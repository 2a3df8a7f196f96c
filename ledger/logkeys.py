"""Where a community's log signing key is kept: one file per community, outside the database.

A log key file is ``<directory>/<community_id>.logkey``, readable by its owner only (mode 0600 or
0400), holding the key in the Go ``sumdb/note`` private-key form
``PRIVATE+KEY+<origin>+<key id>+<base64(0x01 || seed)>``. The database keeps only the log's public
verifier key; before signing, the ledger checks that the file holds exactly that key. The
directory is ``SUNLIGHT_LOG_KEY_DIR`` (default ``log-keys`` in the working directory), so a
systemd unit can point it at ``$CREDENTIALS_DIRECTORY``.

Keeping the seed in the database (``sunlight_logs.key_seed``) remains possible as an explicit
choice (``sunlight init --log-key-in-db``, the demo, logs founded before key files existed).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ledger.crypto._encoding import b64decode, b64encode
from ledger.crypto.errors import VerificationError
from ledger.crypto.note import Signer
from ledger.domain.errors import DomainError
from ledger.founding import COMMUNITY_ID

SUFFIX = ".logkey"
ENV = "SUNLIGHT_LOG_KEY_DIR"
DEFAULT_DIR = "log-keys"


class LogKeyError(DomainError):
    """The log's signing key cannot be used: nothing was signed, nothing was written."""

    code = "log-key-unavailable"
    status = 503


@dataclass(frozen=True)
class LogKey:
    """A log's signing key, created from the operating system's CSPRNG."""

    origin: str
    seed: bytes = field(repr=False)

    @classmethod
    def generate(cls, origin: str) -> LogKey:
        return cls(origin, os.urandom(32))

    @property
    def signer(self) -> Signer:
        return Signer.from_seed(self.origin, self.seed)

    @property
    def verifier_key(self) -> str:
        return self.signer.verifier_key()

    @classmethod
    def parse(cls, text: str) -> LogKey:
        """Reads ``PRIVATE+KEY+<origin>+<key id>+<base64(0x01 || seed)>``, its key ID checked."""
        signer = Signer.from_private_key_string(text)  # raises MalformedNoteError
        return cls(signer.name, b64decode(text.split("+", 4)[4], "private key")[1:])

    def text(self) -> str:
        signer = self.signer
        return (f"PRIVATE+KEY+{self.origin}+{signer.key_id.hex()}+"
                f"{b64encode(bytes([1]) + self.seed)}\n")


def default_directory() -> Path:
    return Path(os.environ.get(ENV) or DEFAULT_DIR)


@dataclass(frozen=True)
class LogKeyDir:
    """The operator's directory of log key files."""

    directory: Path

    def path(self, community_id: str) -> Path:
        if not re.fullmatch(COMMUNITY_ID, community_id):  # never a path outside the directory
            raise LogKeyError(f"社区编号 {community_id[:70]!r} 无效", code="invalid-id")
        return self.directory / f"{community_id}{SUFFIX}"

    def write(self, community_id: str, key: LogKey) -> Path:
        """Creates the key file (mode 0600), durably and atomically (a reader never sees it half
        written), never replacing one that exists."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.path(community_id)
        temporary = self.directory / f".{community_id}.{os.urandom(8).hex()}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            try:
                os.write(fd, key.text().encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            os.link(temporary, path)  # fails if the file exists: never overwritten
        except FileExistsError:
            raise LogKeyError(f"日志密钥文件 {path} 已存在，不会覆盖 (log key file exists)",
                              code="log-key-exists") from None
        finally:
            temporary.unlink()
        dir_fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return path

    def load(self, community_id: str, origin: str, verifier_key: str | None) -> LogKey:
        """The community's key, checked: owner-only file, the log's name, the registered key."""
        path = self.path(community_id)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            raise LogKeyError(
                f"找不到社区 {community_id} 的日志密钥文件 {path}，未签名、未写入；请设置 {ENV} "
                f"(log key file missing)", code="log-key-missing") from None
        except OSError as exc:
            raise LogKeyError(f"无法读取日志密钥文件 {path}：{exc.strerror} (cannot read log key)",
                              code="log-key-unreadable") from None
        try:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode) or mode & 0o077:
                raise LogKeyError(
                    f"日志密钥文件 {path} 的权限为 {stat.S_IMODE(mode):o}，其他用户可读；请改为 600 "
                    f"(log key file is readable by group or others)", code="log-key-unsafe")
            raw = os.read(fd, 4096)
        finally:
            os.close(fd)
        try:
            key = LogKey.parse(raw.decode("ascii").strip())
        except (UnicodeDecodeError, VerificationError):
            raise LogKeyError(f"日志密钥文件 {path} 格式不正确 (malformed log key file)",
                              code="log-key-invalid") from None
        if key.origin != origin or (verifier_key is not None
                                    and key.verifier_key != verifier_key):
            raise LogKeyError(
                f"日志密钥文件 {path} 与本社区登记的日志公钥不符，未签名、未写入 "
                f"(log key file does not match the registered verifier key)",
                code="log-key-mismatch")
        return key
