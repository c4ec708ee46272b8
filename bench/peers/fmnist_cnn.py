"""PyTorch peer for bench/cnn.ts: OpenMaaS's default cnn for 28x28x1 images, the same rows, Adam, batch 64.

  conv3x3(32, same, no bias) + BN + ReLU, maxpool 2, conv3x3(64, same, no bias) + BN + ReLU, maxpool 2,
  flatten, dense 128 + ReLU, dropout 0.25, dense 10; softmax cross-entropy; PyTorch's default init.

Modes (each prints one JSON line):
  quality  train on the rows listed in --train-rows (int32), report validation accuracy on --validation-rows after
           each epoch and test accuracy after the last; pixels normalised by the training rows' mean and
           (population) standard deviation, as OpenMaaS normalises them.
  speed    train on the first --rows training images for --epochs epochs; samples/s of each epoch.
Samples/s counts the training steps only (shuffle, batch gathering, forward, backward, update), as OpenMaaS's do.
"""
import argparse
import gzip, json, math, time
import numpy as np
import torch

ap = argparse.ArgumentParser()
ap.add_argument("--mode", choices=["quality", "speed"], required=True)
ap.add_argument("--dir", required=True, help="folder of the Fashion-MNIST *-ubyte.gz files")
ap.add_argument("--train-rows", help="int32 row indices to train on (quality)")
ap.add_argument("--validation-rows", help="int32 row indices to validate on (quality)")
ap.add_argument("--rows", type=int, default=6400, help="training images (speed)")
ap.add_argument("--epochs", type=int, required=True)
ap.add_argument("--batch", type=int, default=64)
ap.add_argument("--lr", type=float, default=0.001)
ap.add_argument("--cosine", action="store_true", help="decay lr to 0 by a cosine over all steps, per step (as OpenMaaS's schedule)")
ap.add_argument("--threads", type=int, required=True)
a = ap.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(0)


def idx(name, offset):
    with gzip.open(f"{a.dir}/{name}", "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def images(name):
    return torch.from_numpy(idx(name, 16).astype(np.float32).reshape(-1, 1, 28, 28))


def labels(name):
    return torch.from_numpy(idx(name, 8).astype(np.int64))


def network():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3, padding=1, bias=False), torch.nn.BatchNorm2d(32), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3, padding=1, bias=False), torch.nn.BatchNorm2d(64), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(64 * 7 * 7, 128), torch.nn.ReLU(), torch.nn.Dropout(0.25), torch.nn.Linear(128, 10),
    )


def train_epoch(model, opt, x, y):
    """One epoch over all rows of x in a fresh random order; returns (mean loss, samples/s)."""
    model.train()
    loss_fn = torch.nn.CrossEntropyLoss()
    start = time.perf_counter()
    order = torch.randperm(len(x))
    total = 0.0
    for i in range(0, len(x), a.batch):
        rows = order[i : i + a.batch]
        xb, yb = x[rows], y[rows]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        if schedule is not None:
            schedule.step()
        total += loss.item() * len(rows)
    return total / len(x), len(x) / (time.perf_counter() - start)


@torch.no_grad()
def accuracy(model, x, y):
    model.eval()
    right = 0
    for i in range(0, len(x), 1024):
        right += (model(x[i : i + 1024]).argmax(1) == y[i : i + 1024]).sum().item()
    return right / len(x)


x_all, y_all = images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz")
model = network()
opt = torch.optim.Adam(model.parameters(), lr=a.lr)
schedule = None

if a.mode == "speed":
    x, y = x_all[: a.rows], y_all[: a.rows]
    x = (x - x.mean()) / x.std(unbiased=False)
    rates = [train_epoch(model, opt, x, y)[1] for _ in range(a.epochs)]
    print(json.dumps({"samplesPerSecond": rates, "torch": torch.__version__}))
else:
    train = torch.from_numpy(np.fromfile(a.train_rows, dtype=np.int32).astype(np.int64))
    validation = torch.from_numpy(np.fromfile(a.validation_rows, dtype=np.int32).astype(np.int64))
    mean, std = x_all[train].mean().item(), x_all[train].std(unbiased=False).item()
    norm = lambda t: (t - mean) / std
    x_train, y_train = norm(x_all[train]), y_all[train]
    x_val, y_val = norm(x_all[validation]), y_all[validation]
    if a.cosine:
        total_steps = a.epochs * ((len(x_train) + a.batch - 1) // a.batch)
        schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.5 * (1 + math.cos(math.pi * min(t / total_steps, 1))))
    epochs = []
    for epoch in range(a.epochs):
        start = time.perf_counter()
        loss, rate = train_epoch(model, opt, x_train, y_train)
        val = accuracy(model, x_val, y_val)
        epochs.append({"trainLoss": loss, "validationAccuracy": val, "samplesPerSecond": rate, "seconds": time.perf_counter() - start})
        print(json.dumps({"epoch": epoch + 1, **epochs[-1]}), flush=True)
    x_test, y_test = norm(images("t10k-images-idx3-ubyte.gz")), labels("t10k-labels-idx1-ubyte.gz")
    print(json.dumps({"epochs": epochs, "testAccuracy": accuracy(model, x_test, y_test), "torch": torch.__version__}))
