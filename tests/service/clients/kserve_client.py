"""Run inside .venv-clients/kserve by tests/service/test_clients.py: the KServe SDK's REST
client (``kserve.InferenceRESTClient``, protocol v2) against our service. Prints one JSON
object of what the client got back.

Usage: python kserve_client.py BASE_URL MODEL REVIEW...
"""

import asyncio
import json
import sys

import numpy as np
from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig
from kserve.protocol.infer_type import RequestedOutput


async def main(base: str, model: str, reviews: list[str]) -> dict:
    client = InferenceRESTClient(RESTConfig(protocol="v2", retries=0, timeout=30))
    try:
        got = {
            "live": await client.is_server_live(base),
            "ready": await client.is_server_ready(base),
            "model_ready": await client.is_model_ready(base, model),
        }
        for shape, binary in (([len(reviews)], False), ([len(reviews), 1], True)):
            tensor = InferInput(name="text", shape=shape, datatype="BYTES")
            tensor.set_data_from_numpy(np.array(reviews, dtype=object).reshape(shape), binary)
            request = InferRequest(
                model_name=model,
                infer_inputs=[tensor],
                request_id=f"kserve-{len(shape)}",
                request_outputs=[RequestedOutput("probability"), RequestedOutput("label")],
            )
            response = await client.infer(base, request, model_name=model)
            got[f"shape-{len(shape)}-{'binary' if binary else 'json'}"] = {
                "id": response.id,
                "outputs": {
                    output.name: [
                        value.decode() if isinstance(value, bytes) else value
                        for value in output.as_numpy().tolist()
                    ]
                    for output in response.outputs
                },
            }
        return got
    finally:
        await client.close()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:]))))
