"""The bench's workloads in PyTorch, timed the same way as in tools/bench.

Run by tools/bench (src/pytorch.ts), one case per process:

    python3 torch_workloads.py '{"workload": "w1", "n": 512, "iterations": 5, "warmup": 1, "threads": 2}'

prints one JSON object: {"samplesMs": [...], "memory": {...}, "threads": N,
"torch": "1.13.0", "openblas": {...}}. Each sample is one iteration measured
with time.perf_counter, after warm-up iterations; each iteration finishes its
work (.item() or a sum read back), as the TypeScript side reads its result
back. After the timed iterations one more is run to measure memory: the
process's peak resident set during it (Linux: /proc/self/clear_refs resets
VmHWM before the step, VmHWM is read after it), beside the resident set
after `import torch` and just before the step. PyTorch 1.13 keeps no peak
counter for CPU tensors, so the resident set is the measure: it includes
what glibc's allocator keeps after a free, and oneDNN's scratch.

    python3 torch_workloads.py --check-sgemm '{"threads": 2}'

checks float32 matrix products (torch.mm, so whatever BLAS torch loaded)
against float64 references and prints {"ok": ..., "maxError": ...,
"openblas": {...}}; the bench runs it with the machine's OpenBLAS variables
unset before it trusts that setting. Only the peer: nothing in Fathom
depends on this file or on PyTorch.
"""

import ctypes
import json
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


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
    batch, size = case["batch"], case["size"]
    model = torchvision.models.resnet18(num_classes=1000)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    x, y = torch.randn(batch, 3, size, size), torch.randint(0, 1000, (batch,))
    return train_step(model, optimizer, lambda: F.cross_entropy(model(x), y))


WORKLOADS = {"w1": sgemm, "w2": conv2d, "w3": lenet, "w4": char_lstm, "w5": resnet}


def openblas():
    """The OpenBLAS torch loaded: its core (the kernel set it picked for this CPU) and build, or None."""
    try:
        with open("/proc/self/maps") as maps:
            libraries = sorted({line.split()[-1] for line in maps if "blas" in line.rsplit("/", 1)[-1].lower()})
    except OSError:
        libraries = []
    for library in [None, *libraries]:
        try:
            handle = ctypes.CDLL(library)
            corename, config = handle.openblas_get_corename, handle.openblas_get_config
        except (OSError, AttributeError):
            continue
        corename.restype = config.restype = ctypes.c_char_p
        return {"corename": corename().decode(), "config": config().decode(), "library": library or "(linked into the process)"}
    return None


def check_sgemm(case):
    """float32 products against float64 references: a small odd shape, and n = 1024 as W1 runs it and as nn.Linear does (B transposed).

    Errors are |C - C64| / (|A|·|B|), elementwise: a correct float32 product
    of inner dimension k stays below k · 2^-24 whatever its summation order
    (the classic bound), while a wrong kernel is off by order 1. The float64
    references are torch.mm in float64 (dgemm) everywhere and, for every
    64th row, a broadcast multiply and sum that calls no BLAS at all.
    """
    torch.set_num_threads(case["threads"])
    generator = torch.Generator().manual_seed(0)
    results, ok = [], True
    for name, m, k, n, transpose in (("37x29 @ 29x53", 37, 29, 53, False), ("1024^3", 1024, 1024, 1024, False),
                                      ("1024^3, B transposed", 1024, 1024, 1024, True)):
        a = torch.randn(m, k, generator=generator)
        b = torch.randn(n, k, generator=generator).t() if transpose else torch.randn(k, n, generator=generator)
        product = torch.mm(a, b).double()
        a64, b64 = a.double(), b.double()
        error = ((product - torch.mm(a64, b64)).abs() / torch.mm(a64.abs(), b64.abs()).clamp_min(1e-30)).max().item()
        rows = list(range(0, m, 64)) + [m - 1]
        for row in rows:
            reference = (a64[row][:, None] * b64).sum(0)
            scale = (a64[row].abs()[:, None] * b64.abs()).sum(0).clamp_min(1e-30)
            error = max(error, ((product[row] - reference).abs() / scale).max().item())
        tolerance = k * 2.0 ** -24
        ok = ok and error <= tolerance
        results.append({"product": name, "maxError": error, "tolerance": tolerance})
    worst = max(results, key=lambda result: result["maxError"] / result["tolerance"])
    print(json.dumps({"ok": ok, "maxError": worst["maxError"], "tolerance": worst["tolerance"], "products": results,
                      "threads": torch.get_num_threads(), "torch": torch.__version__, "openblas": openblas()}))


def resident_bytes(field):
    """VmRSS (now) or VmHWM (the peak since the last reset) of this process, in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise OSError(f"no {field} in /proc/self/status")


def step_memory(iterate, baseline):
    """Resident-set figures of one more iteration."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # resets VmHWM to the current resident set (Linux 4.0+)
        before = resident_bytes("VmRSS")
        iterate()
        return {"method": "VmHWM after clear_refs", "baselineBytes": baseline, "beforeStepBytes": before,
                "peakBytes": resident_bytes("VmHWM")}
    except OSError:
        # No /proc: the process's lifetime peak, which bounds the step's from above (ru_maxrss is KiB on Linux, bytes on macOS).
        iterate()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {"method": "ru_maxrss (lifetime peak)", "baselineBytes": baseline, "beforeStepBytes": None,
                "peakBytes": peak if sys.platform == "darwin" else peak * 1024}


def main():
    if sys.argv[1] == "--check-sgemm":
        check_sgemm(json.loads(sys.argv[2]))
        return
    case = json.loads(sys.argv[1])
    # The same thread count as fathom-wasm, rather than PyTorch's default (physical cores).
    torch.set_num_threads(case["threads"])
    torch.manual_seed(1)
    try:
        baseline = resident_bytes("VmRSS")
    except OSError:
        baseline = None
    iterate = WORKLOADS[case["workload"]](case)
    # As the Node side warms up: the iterations, and as many more as fit warmupMs.
    warmup_start, warmed = time.perf_counter(), 0
    while warmed < case["warmup"] or (time.perf_counter() - warmup_start) * 1000 < case.get("warmupMs", 0):
        iterate()
        warmed += 1
    samples = []
    for _ in range(case["iterations"]):
        start = time.perf_counter()
        iterate()
        samples.append((time.perf_counter() - start) * 1000)
    memory = step_memory(iterate, baseline)
    print(json.dumps({"samplesMs": samples, "memory": memory, "threads": torch.get_num_threads(),
                      "torch": torch.__version__, "openblas": openblas()}))


if __name__ == "__main__":
    main()
