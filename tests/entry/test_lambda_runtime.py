"""The Lambda handler runs where only the runtime dependencies are installed, laid out as the
container image lays them out (`pip install --target $LAMBDA_TASK_ROOT`, see
deploy/lambda/Dockerfile) with the wheels the image gets, against moto in server mode in this
(the test) process.

Slow: it installs the project and its runtime dependencies with pip into a fresh folder
(tens of seconds with pip's cache warm; pip reaches the package index for what is not cached).
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.conftest import hermetic_env
from tests.entry.test_audit_cli import seed_buckets

ROOT = Path(__file__).resolve().parents[2]

# Runs with the image's Python and `-S` (no site-packages at all), so only the standard library
# and the task folder are importable: the handler the image's CMD names, through its
# documented environment variables.
INVOKE = """
import importlib.util, json, sys
for module in ("pytest", "moto"):
    assert importlib.util.find_spec(module) is None, module + " leaked into the runtime folder"
from analyzer.entry.lambda_handler import handler
result = handler({}, None)
assert "typer" not in sys.modules, "the handler loaded the CLI framework"
import pyarrow
assert pyarrow.default_memory_pool().backend_name == "system", "the Lambda did not choose malloc"
print(json.dumps(result))
"""


LAMBDA_PYTHON = "3.12"  # deploy/lambda/Dockerfile: public.ecr.aws/lambda/python:3.12
# The wheels the image's pip picks: that image is Amazon Linux 2023 (glibc 2.34), so no wheel
# built for a newer glibc than 2.34 (pip expands no manylinux_2_x tag by itself: list them).
LAMBDA_PLATFORM = (
    "--python-version", LAMBDA_PYTHON, "--implementation", "cp", "--only-binary=:all:",
    *(f"--platform=manylinux_2_{minor}_x86_64" for minor in (34, 28, 27, 26, 24, 17)),
    "--platform=manylinux2014_x86_64",
)  # fmt: skip


@pytest.fixture(scope="module")
def lambda_python() -> str:
    """The image's Python version, from pyenv or PATH (this machine kind has 3.11 and 3.12;
    the suite itself runs on 3.11). A pyenv shim on PATH may not run, so each is tried."""
    name = f"python{LAMBDA_PYTHON}"
    candidates = [str(p) for p in sorted(Path.home().glob(f".pyenv/versions/*/bin/{name}"))]
    candidates += [found] if (found := shutil.which(name)) else []
    for candidate in candidates:
        probe = subprocess.run(
            [candidate, "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        if probe.returncode == 0 and probe.stdout.strip() == LAMBDA_PYTHON:
            return candidate
    pytest.skip(f"no working {name} on this machine (the Lambda image's Python)")


@pytest.fixture(scope="module")
def task_root(tmp_path_factory: pytest.TempPathFactory, lambda_python: str) -> Path:
    """`pip install --target` of the project's wheel with the image's Python and platform, as
    deploy/lambda/Dockerfile does it (and as deploy/lambda/README.md measures it)."""
    wheels = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir",
         str(wheels), str(ROOT)],
        check=True, capture_output=True, timeout=300, cwd=wheels,
    )  # fmt: skip
    [wheel] = wheels.glob("signin_analyzer-*.whl")
    target = tmp_path_factory.mktemp("lambda-task")
    subprocess.run(
        [*pip, "install", "--quiet", "--no-compile", *LAMBDA_PLATFORM, "--target", str(target),
         str(wheel)],
        check=True, capture_output=True, timeout=600, cwd=target,
    )  # fmt: skip
    return target


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def seed(endpoint: str) -> dict[str, Any]:
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    s3 = session.client("s3", endpoint_url=endpoint)
    seed_buckets(s3)
    topic = session.client("sns", endpoint_url=endpoint).create_topic(Name="signin")["TopicArn"]
    return {"s3": s3, "topic": topic}


@pytest.mark.slow
def test_handler_runs_with_only_the_runtime_dependencies(
    lambda_python: str, task_root: Path, endpoint: str
) -> None:
    aws = seed(endpoint)
    env = hermetic_env(
        PYTHONPATH=str(task_root),
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",  # Lambda sets both
        AWS_DEFAULT_REGION="us-east-1",
        SIGNIN_HISTORY="s3://audit/signin/history",
        SIGNIN_REPORT_S3="s3://audit/signin/reports/",
        SIGNIN_SNS_TOPIC=aws["topic"],
        SIGNIN_SOURCE="s3://trail/ct",
        SIGNIN_DAYS="7",
        SIGNIN_FAIL_ON="high",
    )
    result = subprocess.run(
        [lambda_python, "-S", "-c", INVOKE],
        capture_output=True, text=True, timeout=120, check=False, env=env, cwd=task_root,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == "findings"  # alice signed in without MFA: a high finding
    assert outcome["exit_code"] == 1
    key = outcome["report"].removeprefix("s3://audit/")
    report = aws["s3"].get_object(Bucket="audit", Key=key)["Body"].read()
    assert b"<html" in report
    history = aws["s3"].get_object(Bucket="audit", Key="signin/history/history.json")
    assert json.loads(history["Body"].read())["runs"][0]["added"] == 3


def test_the_documented_deploy_is_this_image() -> None:
    """deploy/lambda: an image on the Lambda base image of the Python tested above, installing
    the project without extras, whose CMD is the handler; no .zip path is documented."""
    dockerfile = (ROOT / "deploy" / "lambda" / "Dockerfile").read_text()
    assert f"FROM public.ecr.aws/lambda/python:{LAMBDA_PYTHON}\n" in dockerfile
    [install] = [line for line in dockerfile.splitlines() if "pip install" in line]
    assert '--target "${LAMBDA_TASK_ROOT}" /tmp/src ' in install  # no [extras]
    assert 'CMD ["analyzer.entry.lambda_handler.handler"]' in dockerfile
    readme = (ROOT / "deploy" / "lambda" / "README.md").read_text()
    assert "--package-type Image" in readme
    assert "--zip-file" not in readme
    assert "-f deploy/lambda/Dockerfile" in readme
