"""PyTorch peer for bench/rnn.ts: a recurrent layer (nn.RNN / nn.LSTM / nn.GRU, tanh, one layer) read to its last
step, then a dense output of 1; mean squared error, Adam, gradients clipped to a global norm, PyTorch's default init.

Modes (each prints one JSON line):
  quality  sequences from --values (float32, row-major [N, T, F]) and --target (float32 [N]); train on the rows of
           --train-rows (int32), validate on --validation-rows after each epoch. Inputs are normalised per feature by
           the training rows' mean and (population) std, as OpenMaaS normalises them; the target is left raw.
           Reports each epoch's validation MSE and R^2, and those of the epoch with the lowest validation MSE.
  speed    --rows random sequences of --steps x --features with a random numeric target; samples/s of each epoch.
           With --min-length L, the sequences' lengths are uniform in L..steps and the layer reads them packed
           (pack_padded_sequence), its output the state after each sequence's last step.
Samples/s counts the training steps only (shuffle, batch gathering, forward, backward, update), as OpenMaaS's do.
"""
import argparse
import json, time
import numpy as np
import torch

ap = argparse.ArgumentParser()
ap.add_argument("--mode", choices=["quality", "speed"], required=True)
ap.add_argument("--kind", choices=["rnn", "lstm", "gru"], required=True)
ap.add_argument("--values")
ap.add_argument("--target")
ap.add_argument("--train-rows")
ap.add_argument("--validation-rows")
ap.add_argument("--rows", type=int, default=1280, help="random sequences (speed)")
ap.add_argument("--steps", type=int, required=True)
ap.add_argument("--features", type=int, required=True)
ap.add_argument("--hidden", type=int, default=32)
ap.add_argument("--epochs", type=int, required=True)
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--lr", type=float, default=0.005)
ap.add_argument("--clip", type=float, default=1.0)
ap.add_argument("--threads", type=int, required=True)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--min-length", type=int, help="varying lengths L..steps (speed)")
a = ap.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)

LAYERS = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.rec = LAYERS[a.kind](a.features, a.hidden, batch_first=True)
        self.out = torch.nn.Linear(a.hidden, 1)

    def forward(self, x, lengths=None):
        if lengths is None:
            h, _ = self.rec(x)
            return self.out(h[:, -1, :]).squeeze(1)
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, state = self.rec(packed)
        last = state[0] if a.kind == "lstm" else state
        return self.out(last[-1]).squeeze(1)


def train_epoch(model, opt, x, y, lengths=None):
    """One epoch over all rows of x in a fresh random order; returns (mean loss, samples/s)."""
    model.train()
    loss_fn = torch.nn.MSELoss()
    start = time.perf_counter()
    order = torch.randperm(len(x))
    total = 0.0
    for i in range(0, len(x), a.batch):
        rows = order[i : i + a.batch]
        xb, yb = x[rows], y[rows]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb, None if lengths is None else lengths[rows]), yb)
        loss.backward()
        if a.clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
        opt.step()
        total += loss.item() * len(rows)
    return total / len(x), len(x) / (time.perf_counter() - start)


@torch.no_grad()
def evaluate(model, x, y):
    model.eval()
    p = torch.cat([model(x[i : i + 1024]) for i in range(0, len(x), 1024)])
    mse = torch.mean((p - y) ** 2).item()
    var = torch.mean((y - y.mean()) ** 2).item()
    return mse, 1 - mse / var


model = Net()
opt = torch.optim.Adam(model.parameters(), lr=a.lr)
if a.mode == "quality":
    x = torch.from_numpy(np.fromfile(a.values, dtype=np.float32).reshape(-1, a.steps, a.features))
    y = torch.from_numpy(np.fromfile(a.target, dtype=np.float32))
    tr = torch.from_numpy(np.fromfile(a.train_rows, dtype=np.int32).astype(np.int64))
    va = torch.from_numpy(np.fromfile(a.validation_rows, dtype=np.int32).astype(np.int64))
    flat = x[tr].reshape(-1, a.features).double()
    mean, std = flat.mean(0), flat.std(0, unbiased=False)
    std[std == 0] = 1
    x = ((x - mean.float()) / std.float()).contiguous()
    xt, yt, xv, yv = x[tr], y[tr], x[va], y[va]
    epochs = []
    for e in range(a.epochs):
        loss, rate = train_epoch(model, opt, xt, yt)
        mse, r2 = evaluate(model, xv, yv)
        epochs.append({"trainLoss": loss, "mse": mse, "r2": r2, "samplesPerSecond": rate})
    best = min(epochs, key=lambda e: e["mse"])
    print(json.dumps({"epochs": epochs, "best": best, "last": epochs[-1], "torch": torch.__version__}))
else:
    g = torch.Generator().manual_seed(a.seed)
    x = torch.rand(a.rows, a.steps, a.features, generator=g)
    y = torch.rand(a.rows, generator=g)
    lengths = None if a.min_length is None else torch.randint(a.min_length, a.steps + 1, (a.rows,), generator=g)
    rates = [train_epoch(model, opt, x, y, lengths)[1] for _ in range(a.epochs)]
    print(json.dumps({"samplesPerSecond": rates, "torch": torch.__version__}))
