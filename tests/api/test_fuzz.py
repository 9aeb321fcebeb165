"""schemathesis over every operation of a running `skillpulse up`, from the stack's own
OpenAPI document: without credentials, and with each kind of credential. No answer may be
a 5xx, and every answer must be one the document describes (status, content type, body).

Fixed seed and a few examples per operation in CI; `SKILLPULSE_FUZZ_EXAMPLES=500` for a
longer hunt."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from skillpulse.config import PathSettings, Settings
from skillpulse.credentials import ensure_api_keys
from skillpulse.role_process import RoleProcess
from skillpulse.sources.xapi_auth import ensure_xapi_credentials

pytestmark = pytest.mark.integration

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
EXAMPLES = int(os.environ.get("SKILLPULSE_FUZZ_EXAMPLES", "15"))
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.fixture(scope="module")
def stack_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLPULSE_")}
    stack = RoleProcess(data_dir, "all", env=env).start()
    try:
        yield stack.wait_ready().url, data_dir
    finally:
        assert stack.stop() is not None, "the stack had to be killed"


def _fuzz(url: str, *credentials: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    command = [str(SCHEMATHESIS if SCHEMATHESIS.exists() else shutil.which("schemathesis")), "run",
               f"{url}/openapi.json", "--checks", CHECKS, "--seed", "1", "--max-examples", str(EXAMPLES),
               "--phases", "examples,coverage,fuzzing", "--workers", "1", "--max-failures", "20",
               "--no-color", *credentials]
    # cwd: schemathesis writes its reports and cassettes next to it, not into the repository.
    return subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=workdir)


def _assert_clean(run: subprocess.CompletedProcess[str]) -> None:
    summary = run.stdout[-6000:]
    assert run.returncode == 0, summary
    assert "Server error" not in run.stdout and "Undocumented" not in run.stdout, summary
    assert "Tested: " in run.stdout, summary  # it did run operations, not merely load the document


def test_without_credentials(stack_url: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = stack_url
    _assert_clean(_fuzz(url, workdir=tmp_path))


def test_with_a_platform_key(stack_url: tuple[str, Path], tmp_path: Path) -> None:
    url, data_dir = stack_url
    settings = Settings(paths=PathSettings(data_dir=data_dir))
    key = ensure_api_keys(settings)["skilltech.tools"]
    _assert_clean(_fuzz(url, "--header", f"Authorization: Bearer {key}", workdir=tmp_path))


def test_with_an_operator_token(stack_url: tuple[str, Path], tmp_path: Path) -> None:
    url, data_dir = stack_url
    token = (data_dir / "operator.token").read_text().strip()
    _assert_clean(_fuzz(url, "--header", f"Authorization: Bearer {token}", workdir=tmp_path))


def test_with_lrs_credentials(stack_url: tuple[str, Path], tmp_path: Path) -> None:
    url, data_dir = stack_url
    key, secret = ensure_xapi_credentials(Settings(paths=PathSettings(data_dir=data_dir)))["skilltech.tools"]
    _assert_clean(_fuzz(url, "--auth", f"{key}:{secret}", workdir=tmp_path))
