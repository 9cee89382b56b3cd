"""The bench's workloads in PyTorch, timed the same way as in tools/bench.

Run by tools/bench (src/pytorch.ts), one case per process:

    python3 torch_workloads.py '{"workload": "w1", "n": 512, "iterations": 5, "warmup": 1, "threads": 2}'

prints one JSON object: {"samplesMs": [...], "threads": N, "torch": "1.13.0"}.
Each sample is one iteration measured with time.perf_counter, after warm-up
iterations; each iteration finishes its work (.item() or a sum read back),
as the TypeScript side reads its result back. Only the peer: nothing in
Fathom depends on this file or on PyTorch.
"""

import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def sgemm(case):
    n = case["n"]
    a, b = torch.randn(n, n), torch.randn(n, n)
    return lambda: torch.mm(a, b)[0, 0].item()


def conv2d(case):
    batch = case["batch"]
    x = torch.randn(batch, 64, 32, 32, requires_grad=case["backward"])
    w = torch.randn(64, 64, 3, 3, requires_grad=case["backward"])
    grad_out = torch.randn(batch, 64, 32, 32)
    if not case["backward"]:
        return lambda: F.conv2d(x, w, padding=1)[0, 0, 0, 0].item()

    def step():
        x.grad, w.grad = None, None
        F.conv2d(x, w, padding=1).backward(grad_out)
        return x.grad[0, 0, 0, 0].item() + w.grad[0, 0, 0, 0].item()

    return step


def train_step(model, optimizer, loss_of):
    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_of()
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def lenet(case):
    batch = case["batch"]
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.randn(batch, 1, 28, 28), torch.randint(0, 10, (batch,))
    return train_step(model, optimizer, lambda: F.cross_entropy(model(x), y))


class CharLSTM(nn.Module):
    def __init__(self, vocab, embedding, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding)
        self.lstm = nn.LSTM(embedding, hidden, layers, batch_first=True)
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, tokens, state=None):
        output, state = self.lstm(self.embedding(tokens), state)
        return self.decoder(output), state


def char_lstm(case):
    batch, sequence, vocab = case["batch"], case["sequence"], case["vocab"]
    model = CharLSTM(vocab, case["embedding"], case["hidden"], case["layers"])
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    tokens = torch.randint(0, vocab, (batch, sequence))
    targets = torch.randint(0, vocab, (batch * sequence,))
    return train_step(model, optimizer, lambda: F.cross_entropy(model(tokens)[0].reshape(-1, vocab), targets))


def resnet(case):
    import torchvision

    batch, size = case["batch"], case["size"]
    model = torchvision.models.resnet18(num_classes=1000)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    x, y = torch.randn(batch, 3, size, size), torch.randint(0, 1000, (batch,))
    return train_step(model, optimizer, lambda: F.cross_entropy(model(x), y))


WORKLOADS = {"w1": sgemm, "w2": conv2d, "w3": lenet, "w4": char_lstm, "w5": resnet}


def main():
    case = json.loads(sys.argv[1])
    # The same thread count as fathom-wasm, rather than PyTorch's default (physical cores).
    torch.set_num_threads(case["threads"])
    torch.manual_seed(1)
    iterate = WORKLOADS[case["workload"]](case)
    for _ in range(case["warmup"]):
        iterate()
    samples = []
    for _ in range(case["iterations"]):
        start = time.perf_counter()
        iterate()
        samples.append((time.perf_counter() - start) * 1000)
    print(json.dumps({"samplesMs": samples, "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
