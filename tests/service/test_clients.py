"""The service driven by the real clients of the Open Inference Protocol its docs name:
``tritonclient.http`` (binary tensors, its default, and JSON; shapes [N] and [N, 1];
requested outputs; a request id; statistics), the KServe SDK's ``InferenceRESTClient``,
and MLServer's ``mlserver infer``.

KServe and MLServer cannot be installed beside our dependencies (kserve 0.21 pins
pandas < 3 and psutil 5; mlserver 1.7 pins fastapi 0.115 and starlette 0.46), so each
gets its own environment, ``.venv-clients/NAME`` at the top of the repository (ignored by
git), built on first use from the exact versions in ``clients/NAME.txt`` and reused while
that file is unchanged. Building one needs PyPI (about a minute each).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tritonclient.http as triton
from test_app import running, two_models

from movie_sentiment.service.app import create_app

CLIENTS = Path(__file__).parent / "clients"
ENVIRONMENTS = Path(__file__).resolve().parents[2] / ".venv-clients"
REVIEWS = ["wonderful superb film", "awful boring waste", "a moving, brilliant story"]


def client_python(name: str) -> Path:
    """The Python of ``.venv-clients/NAME``, built from ``clients/NAME.txt`` unless it is
    there already with that very list."""
    requirements = CLIENTS / f"{name}.txt"
    folder = ENVIRONMENTS / name
    python = folder / "bin" / "python"
    stamp = folder / "requirements.sha256"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == digest:
        return python
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "--no-deps", "-r", str(requirements)],
        capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert installed.returncode == 0, f"building .venv-clients/{name}: {installed.stderr[-3000:]}"
    stamp.write_text(digest)
    return python


@pytest.fixture(scope="module")
def service(nbsvm_run, tutorial_run):
    with running(create_app(two_models(nbsvm_run, tutorial_run))) as client:
        yield client


def ours(service, field: str, model: str = "nbsvm") -> list:
    scores = service.post("/v1/score", json={"reviews": REVIEWS, "model": model}).json()
    return [row[field] for row in scores["scores"]]


@pytest.mark.parametrize("binary", [True, False], ids=["binary-tensors", "json"])
@pytest.mark.parametrize("shape", [[3], [3, 1]], ids=["N", "N-1"])
def test_tritonclient_infers_with_its_defaults_and_without(service, shape, binary):
    url = f"{service.base_url.host}:{service.base_url.port}"
    client = triton.InferenceServerClient(url=url)
    try:
        assert client.is_server_live() and client.is_server_ready()
        assert client.is_model_ready("nbsvm")
        metadata = client.get_model_metadata("nbsvm")
        assert metadata["inputs"] == [{"name": "text", "datatype": "BYTES", "shape": [-1]}]
        tensor = triton.InferInput("text", shape, "BYTES")
        tensor.set_data_from_numpy(np.array(REVIEWS, dtype=object).reshape(shape), binary)
        outputs = [
            triton.InferRequestedOutput("probability", binary_data=binary),
            triton.InferRequestedOutput("label", binary_data=binary),
        ]
        result = client.infer("nbsvm", [tensor], outputs=outputs, request_id="triton-7")
        assert result.get_response()["id"] == "triton-7"
        assert [o["name"] for o in result.get_response()["outputs"]] == ["probability", "label"]
        probabilities = result.as_numpy("probability")
        assert probabilities.dtype == np.float32
        np.testing.assert_allclose(probabilities, ours(service, "probability"), rtol=1e-6)
        labels = [v.decode() if isinstance(v, bytes) else v for v in result.as_numpy("label")]
        assert labels == ours(service, "label")
        assert result.as_numpy("logit") is None  # not asked for
    finally:
        client.close()


def test_tritonclient_reads_statistics_and_hears_refusals(service):
    url = f"{service.base_url.host}:{service.base_url.port}"
    client = triton.InferenceServerClient(url=url)
    try:
        tensor = triton.InferInput("text", [1], "BYTES")
        tensor.set_data_from_numpy(np.array(["fine"], dtype=object))
        client.infer("tutorial", [tensor])
        one = client.get_inference_statistics("tutorial")["model_stats"]
        assert [s["name"] for s in one] == ["tutorial"] and one[0]["inference_count"] >= 1
        every = client.get_inference_statistics()["model_stats"]
        assert [s["name"] for s in every] == ["nbsvm", "tutorial"]
        empty = triton.InferInput("text", [1], "BYTES")
        empty.set_data_from_numpy(np.array([" "], dtype=object))
        with pytest.raises(triton.InferenceServerException) as refused:
            client.infer("nbsvm", [empty])
        assert refused.value.status() == "400"
        assert "inputs[0].data[0]: review is empty or whitespace only" in refused.value.message()
    finally:
        client.close()


def test_the_kserve_sdks_rest_client(service):
    python = client_python("kserve")
    base = str(service.base_url).rstrip("/")
    ran = subprocess.run(
        [str(python), str(CLIENTS / "kserve_client.py"), base, "nbsvm", *REVIEWS],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-3000:]
    got = json.loads(ran.stdout)
    assert got["live"] and got["ready"] and got["model_ready"]
    for key, request_id in (("shape-1-json", "kserve-1"), ("shape-2-binary", "kserve-2")):
        assert got[key]["id"] == request_id
        outputs = got[key]["outputs"]
        np.testing.assert_allclose(outputs["probability"], ours(service, "probability"), rtol=1e-6)
        assert outputs["label"] == ours(service, "label")


@pytest.mark.parametrize("binary", [[], ["--binary-data"]], ids=["json", "binary-tensors"])
def test_mlservers_infer_command(service, tmp_path, binary):
    python = client_python("mlserver")
    requests = tmp_path / "requests.jsonl"
    lines = [
        {"id": f"ml-{number}", "inputs": [
            {"name": "text", "shape": [1], "datatype": "BYTES", "data": [review]}
        ]}
        for number, review in enumerate(REVIEWS)
    ]  # fmt: skip
    requests.write_text("".join(json.dumps(line) + "\n" for line in lines))
    answers = tmp_path / "answers.jsonl"
    url = f"{service.base_url.host}:{service.base_url.port}"
    ran = subprocess.run(
        [str(python.parent / "mlserver"), "infer", "-u", url, "-m", "tutorial",
         "-i", str(requests), "-o", str(answers), "--workers", "1", "--retries", "1", *binary],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-3000:]
    replies = [json.loads(line) for line in answers.read_text().splitlines()]
    assert len(replies) == 3
    by_id = {reply["id"]: reply for reply in replies}
    probabilities = ours(service, "probability", model="tutorial")
    for number in range(3):
        outputs = {o["name"]: o for o in by_id[f"ml-{number}"]["outputs"]}
        assert outputs["probability"]["data"] == pytest.approx([probabilities[number]])
