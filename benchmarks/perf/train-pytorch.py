#!/usr/bin/env python3
"""PyTorch side of `npm run bench:train`: the same GPT-2-small-shaped model (random weights, vocab
50257), the same LoRA (r=8, alpha 16 on attn.c_attn + attn.c_proj) or full fine-tuning step as our
side (train-run.ts): AdamW lr 1e-4 without weight decay, global gradient-norm clipping at 1.0 (our
trainer's default), batch x seq random tokens, the same thread count; one warm-up step, then
--steps timed steps. Reuses the reference trainer's model (../pytorch/gpt2_reference.py), so both
sides compute the same graph (tied LM head, tanh GELU, Conv1D layout); PyTorch computes the full
(B*T, V) logits, as it normally does.

Usage: OMP_NUM_THREADS=2 /usr/bin/python3 benchmarks/perf/train-pytorch.py --threads 2 --mode lora --steps 5
--lockstep (the bench's way, so that our steps and these alternate under the same load): after init
print {"ready": true}, then before each step wait for a line on stdin and after it print
{"step", "ms", "loss"}. Prints progress on stderr and one JSON line last on stdout: {"impl", "mode", "threads", "torch",
"trainable_params", "init_ms", "warmup_ms", "step_ms": [...], "losses": [...], "peak_rss_mb"}.
peak_rss_mb is this process's VmHWM (torch's own libraries included), as on our side.
Works with torch >= 1.13.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pytorch"))
from gpt2_reference import GPT2  # noqa: E402


def positive(s):
    v = int(s)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def peak_rss_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("--threads", type=positive, default=2)
ap.add_argument("--mode", choices=["lora", "full"], default="lora")
ap.add_argument("--steps", type=positive, default=5, help="timed steps after one warm-up step")
ap.add_argument("--batch", type=positive, default=4)
ap.add_argument("--seq", type=positive, default=128)
ap.add_argument("--layers", type=positive, default=12)
ap.add_argument("--lockstep", action="store_true", help="wait for a stdin line before each step, report each step on stdout")
args = ap.parse_args()
if args.seq > 1024:
    ap.error(f"--seq {args.seq} exceeds GPT-2's 1024 positions")

torch.set_num_threads(args.threads)
torch.set_num_interop_threads(1)  # as gpt2_reference.py; eager mode runs ops on the intra-op pool
torch.manual_seed(1234)
V, C, H = 50257, 768, 12
t_init = time.perf_counter()
model = GPT2(V, 1024, C, args.layers, H, 1e-5)
with torch.no_grad():
    for name, p in model.named_parameters():
        if p.dim() >= 2:
            p.normal_(0.0, 0.02)
        elif name.endswith("weight"):
            p.fill_(1.0)
        else:
            p.zero_()
if args.mode == "lora":
    r, alpha = 8, 16
    for p in model.parameters():
        p.requires_grad_(False)
    for blk in model.h:
        for mod in (blk.attn.c_attn, blk.attn.c_proj):
            n_in, n_out = mod.weight.shape
            # PEFT's layout: A (r, in), B (out, r) zero; A's scale does not change the work
            mod.add_lora(torch.randn(r, n_in) * 0.01, torch.zeros(n_out, r), alpha / r, 0.0)
params = [p for p in model.parameters() if p.requires_grad]
opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)
init_ms = (time.perf_counter() - t_init) * 1000
gen = torch.Generator().manual_seed(7)
ms, losses = [], []
model.train()
if args.lockstep:
    print(json.dumps({"ready": True}), flush=True)
for step in range(args.steps + 1):
    if args.lockstep and not sys.stdin.readline():
        sys.exit("--lockstep: stdin closed before every step ran")
    ids = torch.randint(0, V, (args.batch, args.seq + 1), generator=gen)
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    logits = model(ids[:, :-1])
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), ids[:, 1:].reshape(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    losses.append(loss.item())
    ms.append((time.perf_counter() - t0) * 1000)
    warm = " (warm-up)" if step == 0 else ""
    print(f"  pytorch {args.mode} step {step + 1}/{args.steps + 1}{warm}: {ms[-1] / 1000:.2f} s, loss {losses[-1]:.4f}",
          file=sys.stderr, flush=True)
    if args.lockstep:
        print(json.dumps({"step": step + 1, "ms": ms[-1], "loss": losses[-1]}), flush=True)
print(json.dumps({
    "impl": "pytorch", "mode": args.mode, "threads": torch.get_num_threads(), "torch": torch.__version__,
    "layers": args.layers, "batch": args.batch, "seq": args.seq,
    "trainable_params": sum(p.numel() for p in params),
    "init_ms": init_ms, "warmup_ms": ms[0], "step_ms": ms[1:], "losses": losses,
    "peak_rss_mb": peak_rss_mb(),
}))
