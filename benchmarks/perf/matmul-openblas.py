"""OpenBLAS peer for benchmarks/perf/matmul.bench.ts: times float32 torch.mm (which calls the system
BLAS, OpenBLAS here) on request, so that both sides run in the same minutes of a shared machine.
A line-oriented server, not a benchmark on its own: prints one JSON "ready" line (torch version,
BLAS library, threads), then answers each JSON request line on stdin with one JSON line. Requests:
{"M","N","K","transA","transB","runs","warmup"}; transposed operands are .t() views, so BLAS gets
the transpose flags as our kernel does. Each shape is checked once against a float64 product.
Run by the bench as: OPENBLAS_NUM_THREADS=t /usr/bin/python3 matmul-openblas.py t
Works with torch >= 1.13.
"""
import json
import sys
import time

threads = int(sys.argv[1])
import torch  # noqa: E402  (after reading argv: OPENBLAS_NUM_THREADS is set by the caller)

torch.set_num_threads(threads)
torch.manual_seed(0)


def blas_libraries():
    try:
        with open("/proc/self/maps") as maps:
            return sorted({line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line})
    except OSError:
        return []


def operands(M, N, K, trans_a, trans_b):
    a = torch.randn(K, M).t() if trans_a else torch.randn(M, K)
    b = torch.randn(N, K).t() if trans_b else torch.randn(K, N)
    return a, b


checked = set()
torch.mm(torch.randn(64, 64), torch.randn(64, 64))  # load the BLAS before listing it
print(json.dumps({"ready": True, "torch": torch.__version__, "blas": blas_libraries(), "threads": threads}), flush=True)

for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    M, N, K = req["M"], req["N"], req["K"]
    a, b = operands(M, N, K, req["transA"], req["transB"])
    key = (M, N, K, req["transA"], req["transB"])
    err = None
    if key not in checked:
        # Same bound as the TypeScript tests: |c - c64| <= gamma_{2K+2} * (|a| @ |b|).
        u = 2.0 ** -24
        g = (2 * K + 2) * u / (1 - (2 * K + 2) * u)
        c = torch.mm(a, b).double()
        ref = torch.mm(a.double(), b.double())
        mag = torch.mm(a.double().abs(), b.double().abs())
        err = float(((c - ref).abs() / (g * mag + 1e-300)).max())
        if err > 1:
            print(json.dumps({"error": f"torch.mm disagrees with float64 on {key}: {err} x the bound"}), flush=True)
            continue
        checked.add(key)
    for _ in range(req.get("warmup", 3)):
        torch.mm(a, b)
    gflops = []
    for _ in range(req["runs"]):
        t = time.perf_counter()
        torch.mm(a, b)
        gflops.append(2 * M * N * K / (time.perf_counter() - t) / 1e9)
    print(json.dumps({"gflops": gflops, "checked": err}), flush=True)
