"""PyTorch peer for bench/train-e2e.ts: what a typical script does to train on a CSV.

Loads the CSV with NumPy (np.loadtxt or np.genfromtxt: the numeric feature columns as float32, then the
string label column), standardizes the features, trains Linear-ReLU-Linear with SGD and cross-entropy
in shuffled mini-batches (the randperm-indexing loop, not a DataLoader), and saves the state dict.
Prints the phases' seconds as one JSON line (the caller times the whole process).
"""
import time

started = time.perf_counter()
import argparse, json
import numpy as np
import torch

imported = time.perf_counter()
ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--loader", choices=["loadtxt", "genfromtxt"], default="loadtxt")
ap.add_argument("--hidden", type=int, default=256)
ap.add_argument("--epochs", type=int, default=5)
ap.add_argument("--batch", type=int, default=128)
ap.add_argument("--lr", type=float, default=0.01)
ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads; 0 keeps PyTorch's default")
a = ap.parse_args()
if a.threads > 0:
    torch.set_num_threads(a.threads)
torch.manual_seed(0)

with open(a.data) as f:
    columns = f.readline().strip().split(",")
features = range(len(columns) - 1)  # the label is the last column
if a.loader == "loadtxt":
    x = np.loadtxt(a.data, delimiter=",", skiprows=1, usecols=features, dtype=np.float32)
    labels = np.loadtxt(a.data, delimiter=",", skiprows=1, usecols=len(columns) - 1, dtype=str)
else:
    x = np.genfromtxt(a.data, delimiter=",", skip_header=1, usecols=features, dtype=np.float32)
    labels = np.genfromtxt(a.data, delimiter=",", skip_header=1, usecols=len(columns) - 1, dtype=str, encoding="utf-8")
classes, y = np.unique(labels, return_inverse=True)
x = (x - x.mean(axis=0)) / x.std(axis=0)
x, y = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
loaded = time.perf_counter()

model = torch.nn.Sequential(torch.nn.Linear(x.shape[1], a.hidden), torch.nn.ReLU(), torch.nn.Linear(a.hidden, len(classes)))
opt = torch.optim.SGD(model.parameters(), lr=a.lr)
loss_fn = torch.nn.CrossEntropyLoss()
for epoch in range(a.epochs):
    order = torch.randperm(len(y))
    total = 0.0
    for i in range(0, len(y), a.batch):
        idx = order[i : i + a.batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    print(f"epoch {epoch + 1}/{a.epochs}  loss {total / len(y):.4f}", flush=True)
with torch.no_grad():
    accuracy = (model(x).argmax(1) == y).float().mean().item()
trained = time.perf_counter()

torch.save({"model": model.state_dict(), "classes": list(classes)}, a.out)
saved = time.perf_counter()
seconds = {"import": imported - started, "load": loaded - imported, "train": trained - loaded, "save": saved - trained}
print(json.dumps({"accuracy": accuracy, "seconds": seconds, "torch": torch.__version__, "threads": torch.get_num_threads()}))
