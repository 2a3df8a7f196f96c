"""An auditor's one command works against the running service: ``sunlight verify http://…``."""

from __future__ import annotations

import subprocess

from tests.api.conftest import Served
from tests.api.helpers import SUNLIGHT, disclosure


def test_sunlight_verify_over_http(served: Served) -> None:
    c = served.committee
    c.fund()
    c.donate("d1", 10_000)
    c.app.submit_batch([disclosure(c, n) for n in range(300)])  # a full tile and partial ones
    key = served.client.get("/v1/communities/testcom").json()["verifier_key"]
    done = subprocess.run([SUNLIGHT, "verify", f"{served.url}/log/testcom", "--key", key,
                           "--workers", "1"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    # and it notices a log that is not the one the key signs
    wrong = key.replace("testcom", "othercom")
    done = subprocess.run([SUNLIGHT, "verify", f"{served.url}/log/testcom", "--key", wrong,
                           "--workers", "1"], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
