"""PyTorch peer for bench/train-mlp.ts: the same MLP, data, batch size and loop, timed per epoch.

Reads features (float32) and labels (int64) written by the TypeScript side; prints one JSON line.
"""
import argparse, json, time
import numpy as np
import torch

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True)
ap.add_argument("--rows", type=int, required=True)
ap.add_argument("--columns", type=int, required=True)
ap.add_argument("--hidden", type=int, required=True)
ap.add_argument("--classes", type=int, required=True)
ap.add_argument("--epochs", type=int, required=True)
ap.add_argument("--batch", type=int, required=True)
ap.add_argument("--lr", type=float, required=True)
ap.add_argument("--threads", type=int, required=True)
ap.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
a = ap.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(0)
x = torch.from_numpy(np.fromfile(a.data + ".x", dtype=np.float32).reshape(a.rows, a.columns))
y = torch.from_numpy(np.fromfile(a.data + ".y", dtype=np.int64))
model = torch.nn.Sequential(torch.nn.Linear(a.columns, a.hidden), torch.nn.ReLU(), torch.nn.Linear(a.hidden, a.classes))
opt = torch.optim.SGD(model.parameters(), lr=a.lr) if a.optimizer == "sgd" else torch.optim.Adam(model.parameters(), lr=a.lr)
loss_fn = torch.nn.CrossEntropyLoss()
rates, losses = [], []
for epoch in range(a.epochs):
    start = time.perf_counter()
    order = torch.randperm(a.rows)
    total = 0.0
    for i in range(0, a.rows, a.batch):
        idx = order[i : i + a.batch]
        xb, yb = x[idx], y[idx]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    rates.append(a.rows / (time.perf_counter() - start))
    losses.append(total / a.rows)
print(json.dumps({"samplesPerSecond": rates, "loss": losses, "torch": torch.__version__}))
