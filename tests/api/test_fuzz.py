"""schemathesis over every operation of a running `skillpulse up`, from the stack's own
OpenAPI document: without credentials, and with each kind of credential. No answer may be
a 5xx, and every answer must be one the document describes (status, content type, body).

Fixed seed; every case of the coverage phase (each parameter and body missing, of a wrong
type, at its bounds: what found the undocumented refusals), and a few random examples per
operation in CI; `SKILLPULSE_FUZZ_EXAMPLES=500` for a longer hunt."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest

from skillpulse.access import Access
from skillpulse.config import PathSettings, Settings
from skillpulse.credentials import ensure_api_keys, local_operator_token, open_keyring
from skillpulse.role_process import RoleProcess
from skillpulse.sources.xapi_auth import ensure_xapi_credentials

# A run may take minutes on a loaded machine: the time schemathesis itself is given below.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
EXAMPLES = int(os.environ.get("SKILLPULSE_FUZZ_EXAMPLES", "5"))
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


class FuzzedStack(NamedTuple):
    url: str
    data_dir: Path
    document: Path  # the stack's OpenAPI document (a viewer route), fetched once


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzedStack]:
    root = tmp_path_factory.mktemp("fuzz")
    # The memory broker: the routes' answers are the subject, not what survives a kill
    # (tests/faults/test_broker_kill.py runs the durable one); its object store would only
    # add a process and a write per produced batch.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLPULSE_")} | {
        "SKILLPULSE_BROKER_STORAGE": "memory"}
    process = RoleProcess(root / "data", "all", env=env).start()
    try:
        url = process.wait_ready().url
        token = local_operator_token(root / "data")
        document = httpx.get(f"{url}/openapi.json", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        (root / "openapi.json").write_bytes(document.raise_for_status().content)
        yield FuzzedStack(url, root / "data", root / "openapi.json")
    finally:
        assert process.stop() is not None, "the stack had to be killed"


def _fuzz(stack: FuzzedStack, *credentials: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    command = [str(SCHEMATHESIS if SCHEMATHESIS.exists() else shutil.which("schemathesis")), "run",
               str(stack.document), "--url", stack.url, "--checks", CHECKS, "--seed", "1",
               "--max-examples", str(EXAMPLES), "--phases", "examples,coverage,fuzzing", "--workers", "1",
               "--max-failures", "20",
               "--no-color", *credentials]
    # cwd: schemathesis writes its reports and cassettes next to it, not into the repository.
    return subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=workdir)


def _assert_clean(run: subprocess.CompletedProcess[str]) -> None:
    summary = run.stdout[-6000:]
    assert run.returncode == 0, summary
    assert "Server error" not in run.stdout and "Undocumented" not in run.stdout, summary
    assert "Tested: " in run.stdout, summary  # it did run operations, not merely load the document


def _settings(stack: FuzzedStack) -> Settings:
    return Settings(paths=PathSettings(data_dir=stack.data_dir))


def test_without_credentials(stack: FuzzedStack, tmp_path: Path) -> None:
    _assert_clean(_fuzz(stack, workdir=tmp_path))


def test_with_a_platform_key(stack: FuzzedStack, tmp_path: Path) -> None:
    key = ensure_api_keys(_settings(stack))["skilltech.tools"]
    _assert_clean(_fuzz(stack, "--header", f"Authorization: Bearer {key}", workdir=tmp_path))


def test_with_a_viewer_token(stack: FuzzedStack, tmp_path: Path) -> None:
    viewer = open_keyring(_settings(stack)).create(Access.VIEWER, label="fuzz")
    _assert_clean(_fuzz(stack, "--header", f"Authorization: Bearer {viewer.token}", workdir=tmp_path))


def test_with_an_operator_token(stack: FuzzedStack, tmp_path: Path) -> None:
    token = local_operator_token(stack.data_dir)
    assert token is not None
    _assert_clean(_fuzz(stack, "--header", f"Authorization: Bearer {token}", workdir=tmp_path))


def test_with_lrs_credentials(stack: FuzzedStack, tmp_path: Path) -> None:
    key, secret = ensure_xapi_credentials(_settings(stack))["skilltech.tools"]
    _assert_clean(_fuzz(stack, "--auth", f"{key}:{secret}", workdir=tmp_path))
