"""Running the service under uvicorn, configured from the environment.

``sunlight serve`` turns its flags into ``SUNLIGHT_*`` environment variables and starts uvicorn
with the :func:`app_from_env` factory, so that every worker process builds the same service.
uvicorn's graceful shutdown (SIGTERM or SIGINT) stops accepting connections and lets in-flight
requests -- writes included -- finish before the process exits.
"""

from __future__ import annotations

import multiprocessing
import os
import shlex
import subprocess
import sys
import threading
from dataclasses import dataclass, field

import uvicorn
import uvicorn._subprocess as uvicorn_subprocess
from starlette.applications import Starlette

from ledger.api.app import Settings, create_app
from ledger.api.consistency import READ_AFTER_WAIT
from ledger.api.limits import RATE_PER_ADDRESS, RATE_PER_KEY
from ledger.api.logs import configure, uvicorn_log_config
from ledger.api.publishing import PublishFn
from ledger.api.reading import READ_BUDGET
from ledger.api.readmodel import SNAPSHOT_EVERY
from ledger.crypto.cosignature import CosignatureSigner
from ledger.crypto.note import Verifier
from ledger.store import DEFAULT_DB_URL, default_db_url, default_read_db_url

PUBLISH_TIMEOUT = 600.0
# How long a thread that wants the GIL waits before the holder must give it up (CPython's
# default is 5 ms). A read handed to a worker thread waits for the GIL at each step while the
# event loop is busy; at 1 ms, checkpoint reads at concurrency 16 went from p99 ~23 to ~17 ms.
SWITCH_INTERVAL = 0.001


@dataclass(frozen=True)
class ServeOptions:
    db: str
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    log_level: str = "info"
    rate_per_address: float | None = None  # None: the service's default (ledger.api.limits)
    rate_per_key: float | None = None
    publish_cmd: str | None = None
    witness_name: str | None = None
    witness_seed_file: str | None = None
    witness_logs: tuple[str, ...] = field(default=())
    graceful_timeout: int = 30
    # Seconds a worker of ``workers > 1`` has to start and then to answer each of uvicorn's health
    # checks before uvicorn kills and replaces it (uvicorn's own 5 s: on a loaded machine a
    # worker's imports alone took longer, and the workers were replaced for ever).
    worker_timeout: int = 60
    log_key_dir: str | None = None  # SUNLIGHT_LOG_KEY_DIR: one <community>.logkey file each
    files_dir: str | None = None  # SUNLIGHT_FILES_DIR: published copies of attachments
    read_db: str | None = None  # SUNLIGHT_READ_DB: a hot standby of db that answers reads

    def environment(self) -> dict[str, str]:
        env = {"SUNLIGHT_DB": self.db, "SUNLIGHT_LOG_LEVEL": self.log_level,
               "SUNLIGHT_WITNESS_LOGS": " ".join(self.witness_logs)}
        if self.rate_per_address is not None:
            env["SUNLIGHT_RATE_PER_ADDRESS"] = str(self.rate_per_address)
        if self.rate_per_key is not None:
            env["SUNLIGHT_RATE_PER_KEY"] = str(self.rate_per_key)
        if self.publish_cmd:
            env["SUNLIGHT_PUBLISH_CMD"] = self.publish_cmd
        if self.log_key_dir:
            env["SUNLIGHT_LOG_KEY_DIR"] = self.log_key_dir
        if self.files_dir:
            env["SUNLIGHT_FILES_DIR"] = self.files_dir
        if self.read_db:
            env["SUNLIGHT_READ_DB"] = self.read_db
        if self.witness_name and self.witness_seed_file:
            env["SUNLIGHT_WITNESS_NAME"] = self.witness_name
            env["SUNLIGHT_WITNESS_SEED_FILE"] = self.witness_seed_file
        return env


def command_publisher(template: str, db: str) -> PublishFn:
    """Runs ``template`` (``{community}`` and ``{db}`` substituted) for each publish."""
    args = shlex.split(template)

    def publish(community_id: str) -> None:
        argv = [a.replace("{community}", community_id).replace("{db}", db) for a in args]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=PUBLISH_TIMEOUT,
                              check=False)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise RuntimeError(f"exit {done.returncode}: {' | '.join(tail)}")

    return publish


def load_seed(path: str) -> bytes:
    with open(path, "rb") as f:
        raw = f.read().strip()
    if len(raw) == 64:
        return bytes.fromhex(raw.decode())
    if len(raw) == 32:
        return raw
    raise ValueError(f"{path}: a witness seed is 32 bytes, raw or as 64 hex digits")


def settings_from_env(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    db = env.get("SUNLIGHT_DB") or DEFAULT_DB_URL
    publish: PublishFn | None = None
    name = "not-configured"
    if env.get("SUNLIGHT_PUBLISH_CMD"):
        publish, name = command_publisher(env["SUNLIGHT_PUBLISH_CMD"], db), "command"
    witness = None
    if env.get("SUNLIGHT_WITNESS_NAME") and env.get("SUNLIGHT_WITNESS_SEED_FILE"):
        witness = CosignatureSigner.from_seed(env["SUNLIGHT_WITNESS_NAME"],
                                              load_seed(env["SUNLIGHT_WITNESS_SEED_FILE"]))
    logs = tuple(Verifier.from_key_string(v) for v in env.get("SUNLIGHT_WITNESS_LOGS", "").split())
    return Settings(
        rate_per_address=float(env.get("SUNLIGHT_RATE_PER_ADDRESS") or RATE_PER_ADDRESS),
        rate_per_key=float(env.get("SUNLIGHT_RATE_PER_KEY") or RATE_PER_KEY),
        publish=publish, publisher_name=name,
        publish_delay=float(env.get("SUNLIGHT_PUBLISH_DELAY", "2")),
        witness=witness, witness_logs=logs,
        read_budget=float(env.get("SUNLIGHT_READ_BUDGET", str(READ_BUDGET))),
        snapshot_every=int(env.get("SUNLIGHT_SNAPSHOT_EVERY") or SNAPSHOT_EVERY),
        witness_delay=float(env.get("SUNLIGHT_WITNESS_DELAY") or 1.0),
        witness_retry=float(env.get("SUNLIGHT_WITNESS_RETRY") or 1.0),
        witness_max_retry=float(env.get("SUNLIGHT_WITNESS_MAX_RETRY") or 60.0),
        files_dir=env.get("SUNLIGHT_FILES_DIR") or None,
        portal_url=env.get("SUNLIGHT_PUBLIC_URL") or None,
        read_after_wait=float(env.get("SUNLIGHT_READ_AFTER_WAIT", str(READ_AFTER_WAIT))))


def fork_workers() -> bool:
    """Has uvicorn fork its workers from this process, which has imported the service, instead of
    spawning fresh interpreters that each import it all again (~0.8 s of CPU a worker, all at
    once on a machine of two cores: a service of two workers answered its first request ~1 s
    later than one of one worker). Only where fork is safe: on a platform that has it, with no
    thread started yet (this process holds no database connection: the command closed its
    ledger). Returns whether the workers will be forked."""
    if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return False
    import ledger.application  # noqa: F401  (what each worker's factory imports)

    uvicorn_subprocess.spawn = multiprocessing.get_context("fork")  # type: ignore[assignment]
    return True


def app_from_env() -> Starlette:
    """The uvicorn factory: one ledger and one application per worker process."""
    from ledger.application import Sunlight

    sys.setswitchinterval(SWITCH_INTERVAL)
    configure(os.environ.get("SUNLIGHT_LOG_LEVEL", "info"))
    ledger = Sunlight(default_db_url(), read_db_url=default_read_db_url())
    return create_app(ledger, settings_from_env())


def serve(options: ServeOptions) -> None:
    os.environ.update(options.environment())
    settings_from_env()  # fail here, once, on a bad witness key or log key
    if options.workers > 1:
        fork_workers()
    uvicorn.run("ledger.api.server:app_from_env", factory=True, host=options.host,
                port=options.port, workers=options.workers, log_config=uvicorn_log_config(
                    options.log_level), access_log=False, server_header=False,
                timeout_graceful_shutdown=options.graceful_timeout, proxy_headers=False,
                timeout_worker_healthcheck=options.worker_timeout)
