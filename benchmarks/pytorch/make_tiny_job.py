#!/usr/bin/env python3
"""Create a tiny random GPT-2 + LoRA init + batches + two jobs (lora, full).

Usage:
    python3 benchmarks/pytorch/make_tiny_job.py OUT_DIR [--seed 0] [--steps 30] ...

Writes (all paths in the jobs are relative to OUT_DIR, which is where the jobs live):
    OUT_DIR/model/config.json, OUT_DIR/model/model.safetensors   (HF GPT-2 names, transformer. prefix)
    OUT_DIR/lora_init/adapter_model.safetensors                  (PEFT names)
    OUT_DIR/batches.bin                                          (int32 LE, (steps*grad_accum, B, S+1))
    OUT_DIR/job_lora.json, OUT_DIR/job_full.json
Running the jobs writes out_lora.jsonl / out_full.jsonl and
out_lora_adapter.safetensors / out_full_model.safetensors in OUT_DIR.

Only numpy + standard library (does not need torch), deterministic for a given seed.
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np



def write_safetensors(path, tensors, dtype="F32"):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        a = np.asarray(tensors[name], dtype=np.float32)
        if dtype == "F32":
            raw = np.ascontiguousarray(a, dtype="<f4").tobytes()
        elif dtype == "F16":
            raw = np.ascontiguousarray(a, dtype="<f2").tobytes()
        elif dtype == "BF16":  # round-to-nearest-even truncation of f32
            u = np.ascontiguousarray(a, dtype="<f4").view(np.uint32).astype(np.uint64)
            u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")
            raw = u.tobytes()
        else:
            raise ValueError(dtype)
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-layer", type=int, default=2)
    ap.add_argument("--n-embd", type=int, default=64)
    ap.add_argument("--n-head", type=int, default=4)
    ap.add_argument("--vocab", type=int, default=512)
    ap.add_argument("--n-positions", type=int, default=64)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--grad-accum", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=2)
    ap.add_argument("--seq-len", type=int, default=32)
    ap.add_argument("--lora-r", type=int, default=8)
    ap.add_argument("--lora-alpha", type=float, default=16)
    ap.add_argument("--lora-targets", default="attn.c_attn,attn.c_proj,mlp.c_fc,mlp.c_proj")
    ap.add_argument("--lora-b-std", type=float, default=0.0,
                    help="std of initial lora_B (0 = PEFT default zeros)")
    ap.add_argument("--lr-lora", type=float, default=1e-2)
    ap.add_argument("--lr-full", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--dtype", choices=["F32", "F16", "BF16"], default="F32",
                    help="dtype of model.safetensors (reader test)")
    ap.add_argument("--plain-init", action="store_true",
                    help="GPT-2 init (zero biases, unit LayerNorm) instead of random biases/LN params")
    a = ap.parse_args()

    rng = np.random.default_rng(a.seed)
    V, P, C, L = a.vocab, a.n_positions, a.n_embd, a.n_layer
    std = 0.02
    proj_std = 0.02 / math.sqrt(2 * L)

    def normal(shape, s):
        return rng.normal(0.0, s, size=shape).astype(np.float32)

    def bias(n):
        return np.zeros(n, np.float32) if a.plain_init else normal(n, 0.02)

    def ln_w(n):
        return np.ones(n, np.float32) if a.plain_init else (1.0 + normal(n, 0.1)).astype(np.float32)

    W = {"transformer.wte.weight": normal((V, C), std), "transformer.wpe.weight": normal((P, C), 0.01)}
    for i in range(L):
        p = f"transformer.h.{i}."
        W[p + "ln_1.weight"] = ln_w(C)
        W[p + "ln_1.bias"] = bias(C)
        W[p + "attn.c_attn.weight"] = normal((C, 3 * C), std)
        W[p + "attn.c_attn.bias"] = bias(3 * C)
        W[p + "attn.c_proj.weight"] = normal((C, C), proj_std)
        W[p + "attn.c_proj.bias"] = bias(C)
        W[p + "ln_2.weight"] = ln_w(C)
        W[p + "ln_2.bias"] = bias(C)
        W[p + "mlp.c_fc.weight"] = normal((C, 4 * C), std)
        W[p + "mlp.c_fc.bias"] = bias(4 * C)
        W[p + "mlp.c_proj.weight"] = normal((4 * C, C), proj_std)
        W[p + "mlp.c_proj.bias"] = bias(C)
    W["transformer.ln_f.weight"] = ln_w(C)
    W["transformer.ln_f.bias"] = bias(C)

    out = os.path.abspath(a.out_dir)
    os.makedirs(os.path.join(out, "model"), exist_ok=True)
    write_safetensors(os.path.join(out, "model", "model.safetensors"), W, a.dtype)
    config = {
        "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2",
        "vocab_size": V, "n_positions": P, "n_ctx": P, "n_embd": C, "n_layer": L, "n_head": a.n_head,
        "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new",
        "attn_pdrop": 0.0, "embd_pdrop": 0.0, "resid_pdrop": 0.0,
    }
    with open(os.path.join(out, "model", "config.json"), "w") as f:
        json.dump(config, f, indent=2)

    targets = [t for t in a.lora_targets.split(",") if t]
    dims = {"attn.c_attn": (C, 3 * C), "attn.c_proj": (C, C), "mlp.c_fc": (C, 4 * C), "mlp.c_proj": (4 * C, C)}
    lora = {}
    for i in range(L):
        for t in targets:
            n_in, n_out = dims[t]
            bound = 1.0 / math.sqrt(n_in)
            base = f"base_model.model.transformer.h.{i}.{t}."
            lora[base + "lora_A.weight"] = rng.uniform(-bound, bound, size=(a.lora_r, n_in)).astype(np.float32)
            lora[base + "lora_B.weight"] = (normal((n_out, a.lora_r), a.lora_b_std) if a.lora_b_std > 0
                                            else np.zeros((n_out, a.lora_r), np.float32))
    write_safetensors(os.path.join(out, "lora_init", "adapter_model.safetensors"), lora)
    with open(os.path.join(out, "lora_init", "adapter_config.json"), "w") as f:
        json.dump({"peft_type": "LORA", "r": a.lora_r, "lora_alpha": a.lora_alpha, "lora_dropout": 0.0,
                   "target_modules": targets, "fan_in_fan_out": True, "bias": "none",
                   "task_type": "CAUSAL_LM"}, f, indent=2)

    # Learnable data: a handful of fixed "documents" (random walks with a per-document
    # stride), micro-batches are random windows of them.
    S, B = a.seq_len, a.batch_size
    n_micro = a.steps * a.grad_accum
    n_docs = 4
    doc_len = 4 * (S + 1)
    docs = []
    for _ in range(n_docs):
        start, stride = rng.integers(0, V), rng.integers(1, 17)
        noise = rng.random(doc_len) < 0.1
        seq = (start + stride * np.arange(doc_len)) % V
        seq = np.where(noise, rng.integers(0, V, doc_len), seq)
        docs.append(seq)
    batches = np.empty((n_micro, B, S + 1), dtype="<i4")
    for m in range(n_micro):
        for b in range(B):
            d = docs[rng.integers(0, n_docs)]
            o = rng.integers(0, doc_len - (S + 1) + 1)
            batches[m, b] = d[o:o + S + 1]
    batches.tofile(os.path.join(out, "batches.bin"))

    common = {
        "model_dir": "model", "batches": "batches.bin",
        "steps": a.steps, "grad_accum": a.grad_accum, "batch_size": B, "seq_len": S,
        "weight_decay": a.weight_decay, "betas": [0.9, 0.999], "eps": 1e-8,
        "warmup_steps": 5, "schedule": "cosine", "min_lr_ratio": 0.1, "clip_grad_norm": 1.0,
    }
    job_lora = dict(common, mode="lora", lr=a.lr_lora,
                    lora={"r": a.lora_r, "alpha": a.lora_alpha, "dropout": 0.0, "targets": targets},
                    lora_init="lora_init/adapter_model.safetensors",
                    log="out_lora.jsonl", adapter_out="out_lora_adapter.safetensors")
    job_full = dict(common, mode="full", lr=a.lr_full, log="out_full.jsonl",
                    weights_out="out_full_model.safetensors")
    for name, job in (("job_lora.json", job_lora), ("job_full.json", job_full)):
        with open(os.path.join(out, name), "w") as f:
            json.dump(job, f, indent=2)
            f.write("\n")
    print(f"wrote tiny GPT-2 job to {out} (params: {sum(v.size for v in W.values())}, "
          f"lora params: {sum(v.size for v in lora.values())}, micro-batches: {n_micro})")


if __name__ == "__main__":
    main()
