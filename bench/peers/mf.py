"""PyTorch peer for bench/recommend.ts: biased matrix factorisation, the same model, loss, init and loop.

r̂ = μ + b_u + b_i + p_u·q_i with μ the training ratings' mean (fixed); loss summed over a batch of
(r̂ - r)² + reg·(|p_u|² + |q_i|² + b_u² + b_i²); factors N(0, 0.1²), biases 0; plain SGD on shuffled
batches. Reads the train/test pairs the TypeScript side wrote (<data>.{train,test}.{u,i}.i32 and
.r.f32); prints one JSON line: test RMSE, the epochs' seconds and the run's seconds (data read to
test RMSE, the interpreter and `import torch` excluded).
"""
import argparse, json, time
import numpy as np
import torch

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True)
ap.add_argument("--users", type=int, required=True)
ap.add_argument("--items", type=int, required=True)
ap.add_argument("--factors", type=int, required=True)
ap.add_argument("--reg", type=float, required=True)
ap.add_argument("--lr", type=float, required=True)
ap.add_argument("--batch", type=int, required=True)
ap.add_argument("--epochs", type=int, required=True)
ap.add_argument("--threads", type=int, required=True)
ap.add_argument("--sparse", action="store_true", help="sparse embedding gradients (only the batch's rows)")
ap.add_argument("--seed", type=int, default=0)
a = ap.parse_args()

run_start = time.perf_counter()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)


def read(side):
    u = torch.from_numpy(np.fromfile(f"{a.data}.{side}.u.i32", dtype=np.int32).astype(np.int64))
    i = torch.from_numpy(np.fromfile(f"{a.data}.{side}.i.i32", dtype=np.int32).astype(np.int64))
    r = torch.from_numpy(np.fromfile(f"{a.data}.{side}.r.f32", dtype=np.float32))
    return u, i, r


class BiasedMF(torch.nn.Module):
    def __init__(self, users, items, factors, mean, sparse):
        super().__init__()
        self.P = torch.nn.Embedding(users, factors, sparse=sparse)
        self.Q = torch.nn.Embedding(items, factors, sparse=sparse)
        self.bu = torch.nn.Embedding(users, 1, sparse=sparse)
        self.bi = torch.nn.Embedding(items, 1, sparse=sparse)
        torch.nn.init.normal_(self.P.weight, std=0.1)
        torch.nn.init.normal_(self.Q.weight, std=0.1)
        torch.nn.init.zeros_(self.bu.weight)
        torch.nn.init.zeros_(self.bi.weight)
        self.mean = mean

    def forward(self, u, i):
        p, q = self.P(u), self.Q(i)
        bu, bi = self.bu(u).squeeze(1), self.bi(i).squeeze(1)
        predicted = self.mean + bu + bi + (p * q).sum(1)
        penalty = (p * p).sum(1) + (q * q).sum(1) + bu * bu + bi * bi
        return predicted, penalty


tu, ti, tr = read("train")
vu, vi, vr = read("test")
model = BiasedMF(a.users, a.items, a.factors, float(tr.mean()), a.sparse)
opt = torch.optim.SGD(model.parameters(), lr=a.lr)
n = len(tr)
epoch_seconds, losses = 0.0, []
for epoch in range(a.epochs):
    start = time.perf_counter()
    order = torch.randperm(n)
    total = 0.0
    for s in range(0, n, a.batch):
        idx = order[s : s + a.batch]
        predicted, penalty = model(tu[idx], ti[idx])
        loss = ((predicted - tr[idx]) ** 2 + a.reg * penalty).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        total += loss.item()
    epoch_seconds += time.perf_counter() - start
    losses.append(total / n)
with torch.no_grad():
    predicted, _ = model(vu, vi)
    rmse = float(torch.sqrt(((predicted - vr) ** 2).mean()))
print(json.dumps({"rmse": rmse, "epochSeconds": epoch_seconds, "runSeconds": time.perf_counter() - run_start, "loss": losses, "torch": torch.__version__}))
