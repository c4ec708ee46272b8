"""PyTorch-exported ONNX fixtures with PyTorch's own outputs, for test/pytorch-fixtures.test.ts.

Writes three small models to test/fixtures/pytorch/ -- an MLP, a CNN and an LSTM -- each as
<name>.onnx (torch.onnx.export, opset 17, input "input" and output "output" with a dynamic batch
axis named "batch") and <name>.json (a batch of 3 input rows and PyTorch's outputs for them).

Regenerate (from the repository root, with Debian's Python, which has torch 1.13 and onnx 1.12):

    /usr/bin/python3 scripts/pytorch-fixtures.py

This script is a development tool, not part of the product; CI does not run it. The outputs are
deterministic for a given torch build (seeded weights and inputs); commit them together.
"""

import json
import os
import sys

import numpy as np
import onnx
import torch
from torch import nn

OPSET = 17
BATCH = 3
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "pytorch")
MAX_BYTES = 50_000


class Mlp(nn.Module):
    """4 features -> 16 hidden (ReLU) -> 3 logits."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))

    def forward(self, x):
        return self.net(x)


class Cnn(nn.Module):
    """[N, 1, 8, 8] -> conv 3x3 (4 filters, ReLU) -> max pool 2 -> flatten -> 3 logits."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, kernel_size=3)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 3 * 3, 3)

    def forward(self, x):
        h = self.pool(torch.relu(self.conv(x)))
        return self.fc(torch.flatten(h, 1))


class Lstm(nn.Module):
    """[N, 5 steps, 3 features] -> LSTM (hidden 8) -> linear to 1 on the last step."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(input_size=3, hidden_size=8, batch_first=True)
        self.fc = nn.Linear(8, 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1, :])


def float32_values(t):
    """A tensor's values as JSON numbers: the shortest decimals that read back as the same float32."""
    return [float(str(v)) for v in t.detach().numpy().astype(np.float32).ravel()]


def write_fixture(name, model, input_shape):
    torch.manual_seed(0)
    # Inputs rounded to float32's shortest decimals, so the JSON holds exactly what PyTorch was fed.
    x = torch.tensor(float32_values(torch.randn(BATCH, *input_shape)), dtype=torch.float32).reshape(BATCH, *input_shape)
    model.eval()
    with torch.no_grad():
        y = model(x)

    onnx_path = os.path.join(OUT_DIR, f"{name}.onnx")
    torch.onnx.export(
        model,
        (x,),
        onnx_path,
        opset_version=OPSET,
        input_names=["input"],
        output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        do_constant_folding=True,
    )
    onnx.checker.check_model(onnx.load(onnx_path))
    size = os.path.getsize(onnx_path)
    if size > MAX_BYTES:
        sys.exit(f"{onnx_path} is {size} bytes; fixtures must stay under {MAX_BYTES}")

    fixture = {
        "producer": f"torch {torch.__version__}, onnx {onnx.__version__}, opset {OPSET}",
        "input": {"dims": list(x.shape), "data": float32_values(x)},
        "output": {"dims": list(y.shape), "data": float32_values(y)},
    }
    # One line per field: the arrays stay readable without a line per number.
    lines = [f" {json.dumps(key)}: {json.dumps(value)}" for key, value in fixture.items()]
    with open(os.path.join(OUT_DIR, f"{name}.json"), "w") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")
    print(f"{name}: {size} bytes, input {list(x.shape)}, output {list(y.shape)}")


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    # Each model is built right after seeding, so adding or reordering models changes no other fixture.
    for name, make, input_shape in [("mlp", Mlp, (4,)), ("cnn", Cnn, (1, 8, 8)), ("lstm", Lstm, (5, 3))]:
        torch.manual_seed(1)
        write_fixture(name, make(), input_shape)


if __name__ == "__main__":
    main()
