#!/usr/bin/env python3
"""The parity peer of `fathom-lm train`: the same char-level LSTM, trained the
same way in PyTorch (Debian's python3-torch; not a dependency of Fathom).

Same corpus and split (the last 10% of the characters for validation), the
same vocabulary (distinct characters sorted by code point), the same
truncated-BPTT batching (PyTorch's word_language_model `batchify`: B
contiguous streams, windows of T, the hidden state carried and detached,
reset at each pass), the same model (embedding 64, 2 x 256 LSTM, linear
decoder), Adam 2e-3, gradient clipping at 5, and validation at the same
steps. Writes one JSON line per record to --out, in the shape of Fathom's
metrics.jsonl, so both curves go in one plot.

  python3 apps/char-lstm/scripts/pytorch_char_lstm.py --text node_modules/.../data.txt --steps 2000 --out runs/parity/pytorch.jsonl
"""
import argparse
import json
import math
import pathlib
import sys
import time

import torch
from torch import nn

# The model of the benchmarks' W4 workload: one definition for both.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "tools" / "bench" / "python"))
from torch_workloads import CharLSTM  # noqa: E402


def batchify(ids, batch):
    streams = len(ids) // batch
    return ids[: batch * streams].view(batch, streams)


def windows(data, seq):
    steps = data.size(1) - 1
    return [(data[:, s : s + min(seq, steps - s)], data[:, s + 1 : s + 1 + min(seq, steps - s)]) for s in range(0, steps, seq)]


def evaluate(model, batches):
    model.eval()
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for x, y in batches:
            logits, state = model(x, state)
            total += nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum").item()
            count += y.numel()
    model.train()
    return total / count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--text", required=True)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--embedding", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--clip", type=float, default=5.0)
    parser.add_argument("--val-fraction", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    with open(args.text, encoding="utf-8", newline="") as f:
        text = f.read()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    train_len = len(ids) - math.floor(len(ids) * args.val_fraction)
    train = windows(batchify(ids[:train_len], args.batch_size), args.seq_len)
    val = windows(batchify(ids[train_len:], args.batch_size), args.seq_len)

    model = CharLSTM(len(chars), args.embedding, args.hidden, args.layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    records = []
    state = None
    seconds = 0.0
    for step in range(1, args.steps + 1):
        batch = (step - 1) % len(train)
        if batch == 0:
            state = None
        x, y = train[batch]
        started = time.perf_counter()
        logits, state = model(x, state)
        state = tuple(s.detach() for s in state)
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        seconds += time.perf_counter() - started
        epoch = (step - 1) // len(train) + 1
        if step % 10 == 0:
            records.append({"split": "train", "epoch": epoch, "step": step, "loss": loss.item(), "grad_norm": norm.item(), "chars_per_s": step * x.numel() / seconds})
        if step == args.steps or step % len(train) == 0 or step % args.eval_every == 0:
            val_loss = evaluate(model, val)
            records.append({"split": "val", "epoch": epoch, "step": step, "loss": val_loss, "bpc": val_loss / math.log(2), "perplexity": math.exp(val_loss)})
            print(f"step {step}/{args.steps}  val loss {val_loss:.4f}  {val_loss / math.log(2):.3f} bits/char  train {args.batch_size * args.seq_len * step / seconds:,.0f} chars/s", flush=True)
    with open(args.out, "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
