"""PyTorch peer of bench/serve.ts: the served models as torch modules behind FastAPI + uvicorn, as a
Python user would serve them.

Weights: the trained parameters of OpenMaaS's .onnx files, read with onnx.numpy_helper by name
(`hidden0.weight`, `layer0.bn.running_mean`, ...), and the preprocessing constants from the model card in
the file's metadata (`openmaas.features`: per-column mean/std; `openmaas.image`: per-channel pixel mean/std;
`openmaas.labels`). The ONNX graph itself is not run: the network is rebuilt from torch.nn layers.

Routes: POST /models/{name}/predict takes the same body the OpenMaaS bench sends to /v2/models/{name}/infer
(an Open Inference Protocol v2 request, validated by pydantic) and answers the predicted labels and class
probabilities in the same layout, under torch.inference_mode(). It is a plain `def`, which FastAPI runs in
its thread pool (what FastAPI's docs advise for blocking work); POST /models/{name}/predict-async is the same
as an `async def`, run on the event loop one request at a time, which is faster here (no thread hand-offs,
no GIL contention between pool threads).

One uvicorn worker (one process), access log off, on a free port found here. Prints
`fastapi serving at http://127.0.0.1:PORT` once the app has started.

  /usr/bin/python3 bench/peers/serve_fastapi.py --model mlp=bench/.out/serve-mlp.onnx --model cnn=...
"""
import argparse
import json
import socket
from typing import List, Optional, Union

import numpy as np
import onnx
import fastapi
import torch
import uvicorn
from fastapi import FastAPI, HTTPException
from onnx import numpy_helper
from pydantic import BaseModel

ap = argparse.ArgumentParser()
ap.add_argument("--model", action="append", required=True, help="NAME=PATH of an OpenMaaS .onnx file (repeatable)")
ap.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
a = ap.parse_args()
if a.threads > 0:
    torch.set_num_threads(a.threads)


# ---- the models ---------------------------------------------------------------------------------


def read(path):
    """Initializers by name and the model card (metadata_props `openmaas.*`, JSON) of an .onnx file."""
    m = onnx.load(path)
    arrays = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    weights = {k: torch.from_numpy(v.copy()) for k, v in arrays.items() if v.dtype != object}  # not the label strings
    card = {p.key[len("openmaas."):]: json.loads(p.value) for p in m.metadata_props if p.key.startswith("openmaas.")}
    return weights, card


def linear(weights, name):
    """A torch Linear from OpenMaaS's dense layer (weight stored [in, out])."""
    w = weights[f"{name}.weight"]
    layer = torch.nn.Linear(w.shape[0], w.shape[1])
    layer.weight.data = w.t().contiguous()
    layer.bias.data = weights[f"{name}.bias"]
    return layer


class Mlp(torch.nn.Module):
    """Standardised numeric columns -> dense + ReLU layers -> logits."""

    def __init__(self, weights, card):
        super().__init__()
        features = card["features"]
        if any(f["type"] != "numeric" for f in features):
            raise SystemExit("this peer serves numeric columns only")
        self.columns = [f["name"] for f in features]
        self.register_buffer("mean", torch.tensor([f["encoding"]["standardize"]["mean"] for f in features], dtype=torch.float32))
        self.register_buffer("std", torch.tensor([f["encoding"]["standardize"]["std"] for f in features], dtype=torch.float32))
        hidden = []
        i = 0
        while f"hidden{i}.weight" in weights:
            hidden += [linear(weights, f"hidden{i}"), torch.nn.ReLU()]
            i += 1
        self.net = torch.nn.Sequential(*hidden, linear(weights, "output"))

    def forward(self, x):
        z = (x - self.mean) / self.std
        return self.net(torch.where(torch.isnan(x), torch.zeros_like(z), z))


class Cnn(torch.nn.Module):
    """OpenMaaS's default cnn for 28x28x1: (conv3x3 + BN + ReLU, maxpool 2) x 2, flatten, dense 128 + ReLU, dense 10."""

    def __init__(self, weights, card):
        super().__init__()
        image = card["image"]
        self.shape = (image["channels"], image["height"], image["width"])
        self.register_buffer("mean", torch.tensor(image["mean"], dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(image["std"], dtype=torch.float32).view(1, -1, 1, 1))

        def block(name):
            w = weights[f"{name}.weight"]
            conv = torch.nn.Conv2d(w.shape[1], w.shape[0], w.shape[2], padding="same", bias=False)
            conv.weight.data = w
            bn = torch.nn.BatchNorm2d(w.shape[0], eps=1e-5)
            bn.weight.data, bn.bias.data = weights[f"{name}.bn.weight"], weights[f"{name}.bn.bias"]
            bn.running_mean.data, bn.running_var.data = weights[f"{name}.bn.running_mean"], weights[f"{name}.bn.running_var"]
            return [conv, bn, torch.nn.ReLU(), torch.nn.MaxPool2d(2)]

        self.net = torch.nn.Sequential(
            *block("layer0"), *block("layer2"), torch.nn.Flatten(), linear(weights, "layer5"), torch.nn.ReLU(), linear(weights, "output")
        )

    def forward(self, x):
        return self.net((x - self.mean) / self.std)


models = {}
for spec in a.model:
    name, path = spec.split("=", 1)
    weights, card = read(path)
    module = Cnn(weights, card) if "image" in card else Mlp(weights, card)
    models[name] = (module.eval(), card["labels"])


# ---- the app ------------------------------------------------------------------------------------


class Tensor(BaseModel):
    name: str
    shape: List[int]
    datatype: str
    data: List[Union[float, str]]


class Output(BaseModel):
    name: str


class InferRequest(BaseModel):
    inputs: List[Tensor]
    outputs: Optional[List[Output]] = None


app = FastAPI()


@app.on_event("startup")
def started():
    versions = f"FastAPI {fastapi.__version__}, uvicorn {uvicorn.__version__}, torch {torch.__version__}, {torch.get_num_threads()} torch threads"
    print(f"fastapi serving at http://127.0.0.1:{port} ({versions})", flush=True)


def predict(name: str, request: InferRequest):
    if name not in models:
        raise HTTPException(404, f"no model '{name}'")
    module, labels = models[name]
    inputs = {t.name: t for t in request.inputs}
    try:
        if isinstance(module, Cnn):
            t = inputs["image"]
            x = torch.tensor(t.data, dtype=torch.float32).view(t.shape)
        else:
            x = torch.cat([torch.tensor(inputs[c].data, dtype=torch.float32).view(-1, 1) for c in module.columns], dim=1)
    except (KeyError, RuntimeError, ValueError) as e:
        raise HTTPException(400, f"bad input: {e}")
    with torch.inference_mode():
        probabilities = torch.softmax(module(x), dim=1)
    rows = len(x)
    return {
        "model_name": name,
        "outputs": [
            {"name": "prediction", "shape": [rows], "datatype": "BYTES", "data": [labels[i] for i in probabilities.argmax(dim=1).tolist()]},
            {"name": "probabilities", "shape": list(probabilities.shape), "datatype": "FP32", "data": probabilities.flatten().tolist()},
        ],
    }


app.post("/models/{name}/predict")(predict)


@app.post("/models/{name}/predict-async")
async def predict_async(name: str, request: InferRequest):
    """The same work on the event loop: one request at a time, no thread pool."""
    return predict(name, request)


# A free port, then uvicorn.run as a user runs it (uvicorn binds its own socket: asyncio then sets
# TCP_NODELAY on each connection; a socket handed in through `sockets=` without IPPROTO_TCP would not
# get it, and every response body would wait ~40 ms for a delayed ACK).
with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
uvicorn.run(app, host="127.0.0.1", port=port, workers=1, log_level="warning", access_log=False)
