"""PyTorch peer for bench/lm.ts: OpenMaaS's decoder-only Transformer language model, written plainly.

  token embedding [V, D] + learned positions [T, D]; `layers` pre-LayerNorm blocks:
    h = h + out(attention(ln1(h)))   q/k/v/out Linear(D, D) with bias, `heads` heads,
                                     softmax(q k^T / sqrt(D/heads) + causal mask) v
    h = h + down(gelu(up(ln2(h))))   up Linear(D, 4D), down Linear(4D, D), exact (erf) GELU
  final LayerNorm, logits h E^T (output tied to the token embedding); cross-entropy per position.

Initialisation as OpenMaaS's builder: token table U(-sqrt 3, sqrt 3) (variance 1), positions and
every Linear weight Xavier-uniform, biases 0, LayerNorm weight 1 and bias 0. Adam (betas 0.9, 0.999,
eps 1e-8), constant lr, no weight decay. Windows of T tokens start uniformly at random in the
training ids (torch's generator, seed --seed); the targets are the next tokens.

The token ids come from bench/lm.ts (int32 files), so both programs see the same tokens.

Modes (each prints one JSON line):
  quality  train --steps steps; every --every steps, the mean training loss since the last checkpoint
           and the held-out loss (consecutive windows of T, as OpenMaaS's heldOutLoss) in nats per
           token and bits per character (--held-chars characters).
  speed    train --steps steps; tokens/s of the steps after the first --warmup.
"""
import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--mode", choices=["quality", "speed"], required=True)
ap.add_argument("--train", required=True, help="int32 training token ids")
ap.add_argument("--held", help="int32 held-out token ids (quality)")
ap.add_argument("--held-chars", type=int, default=0, help="characters of the held-out text (quality)")
ap.add_argument("--vocab", type=int, required=True)
ap.add_argument("--context", type=int, required=True)
ap.add_argument("--layers", type=int, required=True)
ap.add_argument("--heads", type=int, required=True)
ap.add_argument("--width", type=int, required=True)
ap.add_argument("--batch", type=int, required=True)
ap.add_argument("--lr", type=float, required=True)
ap.add_argument("--steps", type=int, required=True)
ap.add_argument("--every", type=int, default=0, help="steps between checkpoints (quality)")
ap.add_argument("--warmup", type=int, default=0, help="steps not timed (speed)")
ap.add_argument("--threads", type=int, required=True)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--embedding-std", type=float, default=0, help="token table N(0, std) instead of U(-sqrt 3, sqrt 3) (a diagnostic; 0: OpenMaaS's)")
a = ap.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)
V, T, D, H = a.vocab, a.context, a.width, a.heads


def linear(inputs, outputs):
    layer = torch.nn.Linear(inputs, outputs)
    torch.nn.init.xavier_uniform_(layer.weight)
    torch.nn.init.zeros_(layer.bias)
    return layer


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = torch.nn.LayerNorm(D, eps=1e-5)
        self.query, self.key, self.value, self.output = linear(D, D), linear(D, D), linear(D, D), linear(D, D)
        self.ln2 = torch.nn.LayerNorm(D, eps=1e-5)
        self.up, self.down = linear(D, 4 * D), linear(4 * D, D)

    def forward(self, h, mask):
        n, t, _ = h.shape
        x = self.ln1(h)
        q, k, v = (p(x).view(n, t, H, D // H).transpose(1, 2) for p in (self.query, self.key, self.value))
        scores = q @ k.transpose(-2, -1) / math.sqrt(D // H)  # [N, H, T, T]
        attention = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
        h = h + self.output((attention @ v).transpose(1, 2).reshape(n, t, D))
        return h + self.down(F.gelu(self.up(self.ln2(h))))


class Decoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.tokens = torch.nn.Embedding(V, D)
        if a.embedding_std > 0:
            torch.nn.init.normal_(self.tokens.weight, 0, a.embedding_std)
        else:
            torch.nn.init.uniform_(self.tokens.weight, -math.sqrt(3), math.sqrt(3))
        self.positions = torch.nn.Parameter(torch.empty(T, D))
        torch.nn.init.xavier_uniform_(self.positions)
        self.blocks = torch.nn.ModuleList(Block() for _ in range(a.layers))
        self.ln = torch.nn.LayerNorm(D, eps=1e-5)
        self.register_buffer("mask", torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1))

    def forward(self, ids):
        t = ids.shape[1]
        h = self.tokens(ids) + self.positions[:t]
        for block in self.blocks:
            h = block(h, self.mask[:t, :t])
        return self.ln(h) @ self.tokens.weight.T  # [N, T, V]


def read_ids(path):
    return torch.from_numpy(np.fromfile(path, dtype=np.int32).astype(np.int64))


train = read_ids(a.train)
model = Decoder()
opt = torch.optim.Adam(model.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
offsets = torch.arange(T)


def step():
    starts = torch.randint(0, len(train) - T, (a.batch,))
    rows = starts[:, None] + offsets
    ids, targets = train[rows], train[rows + 1]
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(ids).reshape(-1, V), targets.reshape(-1))
    loss.backward()
    opt.step()
    return loss.item()


@torch.no_grad()
def held_out(held):
    windows = (len(held) - 1) // T
    nats = 0.0
    for w0 in range(0, windows, 32):
        n = min(32, windows - w0)
        rows = (w0 + torch.arange(n))[:, None] * T + offsets
        logits = model(held[rows])
        nats += F.cross_entropy(logits.reshape(-1, V), held[rows + 1].reshape(-1), reduction="sum").item()
    tokens = windows * T
    chars = a.held_chars * tokens / (len(held) - 1)
    return nats / tokens, nats / chars / math.log(2)


if a.mode == "quality":
    held = read_ids(a.held)
    curve, total, count, seconds = [], 0.0, 0, 0.0
    for s in range(1, a.steps + 1):
        model.train()
        started = time.perf_counter()
        total += step()
        seconds += time.perf_counter() - started
        count += 1
        if s % a.every == 0 or s == a.steps:
            model.eval()
            nats, bpc = held_out(held)
            curve.append({"step": s, "trainLoss": total / count, "validationLoss": nats, "bitsPerCharacter": bpc})
            total, count = 0.0, 0
    print(json.dumps({"curve": curve, "tokensPerSecond": a.steps * a.batch * T / seconds, "torch": torch.__version__}))
else:
    model.train()
    for _ in range(a.warmup):
        step()
    started = time.perf_counter()
    for _ in range(a.steps):
        step()
    rate = a.steps * a.batch * T / (time.perf_counter() - started)
    print(json.dumps({"tokensPerSecond": rate, "torch": torch.__version__}))
