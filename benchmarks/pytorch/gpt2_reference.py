#!/usr/bin/env python3
"""PyTorch reference trainer for FleetTune's TypeScript GPT-2 trainer.

Usage:
    /usr/bin/python3 benchmarks/pytorch/gpt2_reference.py --job JOB.json [--threads N]

Needs only torch (>= 1.13), numpy and the standard library. CPU, float32, no
dropout (unless lora.dropout > 0, which is not reproducible by other
implementations). The exact semantics are documented in README.md next to
this file; keep the two in sync.

Relative paths inside JOB.json are resolved against the directory that holds
JOB.json.

Exit codes: 0 ok, 2 bad job (missing/invalid file or field), 1 other errors.
"""
import argparse
import json
import math
import os
import resource
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

LORA_TARGETS = ("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj")
PEFT_PREFIX = "base_model.model.transformer.h."


class JobError(Exception):
    """A problem with the job (missing file / field, invalid value): exit code 2."""


# --------------------------------------------------------------------------
# Minimal safetensors reader / writer (json + struct + numpy)
# --------------------------------------------------------------------------

def _bf16_to_f32(raw):
    u16 = np.frombuffer(raw, dtype="<u2")
    return (u16.astype(np.uint32) << 16).view(np.float32)


_ST_READERS = {
    "F32": lambda raw: np.frombuffer(raw, dtype="<f4"),
    "F16": lambda raw: np.frombuffer(raw, dtype="<f2").astype(np.float32),
    "BF16": _bf16_to_f32,
    "F64": lambda raw: np.frombuffer(raw, dtype="<f8").astype(np.float32),
}
_ST_SIZES = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8}


def read_safetensors_header(path):
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) != 8:
            raise JobError(f"{path}: not a safetensors file (too short)")
        (n,) = struct.unpack("<Q", head)
        if n > 100 * 1024 * 1024:
            raise JobError(f"{path}: not a safetensors file (header length {n})")
        header = json.loads(f.read(n).decode("utf-8"))
    header.pop("__metadata__", None)
    return header, 8 + n


def read_safetensors(path, names=None):
    """Return {name: float32 np.ndarray}. If names is given, read only those
    (names that are absent are silently skipped)."""
    if not os.path.isfile(path):
        raise JobError(f"file not found: {path}")
    header, base = read_safetensors_header(path)
    out = {}
    with open(path, "rb") as f:
        for name, info in header.items():
            if names is not None and name not in names:
                continue
            dtype = info["dtype"]
            if dtype not in _ST_READERS:
                raise JobError(f"{path}: tensor {name} has unsupported dtype {dtype} (F32/F16/BF16 only)")
            start, end = info["data_offsets"]
            shape = tuple(info["shape"])
            count = int(np.prod(shape)) if shape else 1
            if end - start != count * _ST_SIZES[dtype]:
                raise JobError(f"{path}: tensor {name} byte size does not match shape {list(shape)}")
            f.seek(base + start)
            raw = f.read(end - start)
            if len(raw) != end - start:
                raise JobError(f"{path}: truncated data for tensor {name}")
            out[name] = _ST_READERS[dtype](raw).reshape(shape).copy()
    return out


def write_safetensors(path, tensors, metadata=None):
    """tensors: {name: array-like}; written as little-endian F32, names sorted."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(np.asarray(tensors[name], dtype="<f4"))
        raw = arr.tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * ((8 - len(hbytes) % 8) % 8)  # pad so data is 8-byte aligned
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


# --------------------------------------------------------------------------
# Model (nanoGPT style, HF GPT-2 semantics, Conv1D layout y = x @ W + b)
# --------------------------------------------------------------------------

def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Conv1D(nn.Module):
    """HF Conv1D: weight (in, out), y = x @ W + b; optional LoRA:
    y = x @ W + b + ((dropout(x) @ A^T) @ B^T) * (alpha / r)."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))
        self.lora_A = None
        self.lora_B = None
        self.lora_scale = 0.0
        self.lora_dropout = 0.0

    def add_lora(self, A, B, scale, dropout):
        self.lora_A = nn.Parameter(A)   # (r, in)
        self.lora_B = nn.Parameter(B)   # (out, r)
        self.lora_scale = scale
        self.lora_dropout = dropout

    def forward(self, x):
        y = torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(*x.shape[:-1], self.weight.shape[1])
        if self.lora_A is not None:
            h = x
            if self.lora_dropout > 0.0:
                h = F.dropout(h, p=self.lora_dropout, training=True)
            y = y + ((h @ self.lora_A.t()) @ self.lora_B.t()) * self.lora_scale
        return y


class Block(nn.Module):
    def __init__(self, C, n_head, eps):
        super().__init__()
        self.n_head = n_head
        self.eps = eps
        self.ln_1 = nn.LayerNorm(C, eps=eps)
        self.ln_2 = nn.LayerNorm(C, eps=eps)
        self.attn = nn.Module()
        self.attn.c_attn = Conv1D(C, 3 * C)
        self.attn.c_proj = Conv1D(C, C)
        self.mlp = nn.Module()
        self.mlp.c_fc = Conv1D(C, 4 * C)
        self.mlp.c_proj = Conv1D(4 * C, C)

    def attention(self, x, mask):
        Bsz, T, C = x.shape
        H = self.n_head
        D = C // H
        qkv = self.attn.c_attn(x)
        q, k, v = qkv.split(C, dim=2)
        q = q.view(Bsz, T, H, D).transpose(1, 2)
        k = k.view(Bsz, T, H, D).transpose(1, 2)
        v = v.view(Bsz, T, H, D).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D))
        att = att.masked_fill(mask[:T, :T], float("-inf"))
        att = torch.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(Bsz, T, C)
        return self.attn.c_proj(y)

    def forward(self, x, mask):
        x = x + self.attention(self.ln_1(x), mask)
        x = x + self.mlp.c_proj(gelu_tanh(self.mlp.c_fc(self.ln_2(x))))
        return x


class GPT2(nn.Module):
    def __init__(self, vocab, n_pos, C, n_layer, n_head, eps):
        super().__init__()
        self.n_pos = n_pos
        self.wte = nn.Parameter(torch.zeros(vocab, C))
        self.wpe = nn.Parameter(torch.zeros(n_pos, C))
        self.h = nn.ModuleList([Block(C, n_head, eps) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(C, eps=eps)
        # True above the diagonal = masked (future positions)
        self.register_buffer("mask", torch.triu(torch.ones(n_pos, n_pos, dtype=torch.bool), diagonal=1),
                             persistent=False)

    def forward(self, idx):
        T = idx.shape[1]
        x = self.wte[idx] + self.wpe[:T]
        for blk in self.h:
            x = blk(x, self.mask)
        x = self.ln_f(x)
        return x @ self.wte.t()  # tied LM head

    def hf_state(self):
        """(HF name without 'transformer.' prefix, parameter) in canonical order."""
        out = [("wte.weight", self.wte), ("wpe.weight", self.wpe)]
        for i, b in enumerate(self.h):
            p = f"h.{i}."
            out += [
                (p + "ln_1.weight", b.ln_1.weight), (p + "ln_1.bias", b.ln_1.bias),
                (p + "attn.c_attn.weight", b.attn.c_attn.weight), (p + "attn.c_attn.bias", b.attn.c_attn.bias),
                (p + "attn.c_proj.weight", b.attn.c_proj.weight), (p + "attn.c_proj.bias", b.attn.c_proj.bias),
                (p + "ln_2.weight", b.ln_2.weight), (p + "ln_2.bias", b.ln_2.bias),
                (p + "mlp.c_fc.weight", b.mlp.c_fc.weight), (p + "mlp.c_fc.bias", b.mlp.c_fc.bias),
                (p + "mlp.c_proj.weight", b.mlp.c_proj.weight), (p + "mlp.c_proj.bias", b.mlp.c_proj.bias),
            ]
        out += [("ln_f.weight", self.ln_f.weight), ("ln_f.bias", self.ln_f.bias)]
        return out

    def target_module(self, i, target):
        a, b = target.split(".")
        return getattr(getattr(self.h[i], a), b)


# --------------------------------------------------------------------------
# Job handling
# --------------------------------------------------------------------------

def req(obj, key, where="job"):
    if not isinstance(obj, dict) or key not in obj or obj[key] is None:
        raise JobError(f"missing field '{key}' in {where}")
    return obj[key]


def req_num(obj, key, where="job", integer=False, minimum=None):
    v = req(obj, key, where)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and not float(v).is_integer()):
        raise JobError(f"field '{key}' in {where} must be {'an integer' if integer else 'a number'}, got {v!r}")
    v = int(v) if integer else float(v)
    if minimum is not None and v < minimum:
        raise JobError(f"field '{key}' in {where} must be >= {minimum}, got {v!r}")
    return v


def resolve(base, p, field):
    if not isinstance(p, str) or not p:
        raise JobError(f"field '{field}' must be a non-empty path string")
    return p if os.path.isabs(p) else os.path.normpath(os.path.join(base, p))


def must_exist(path, field):
    if not os.path.isfile(path):
        raise JobError(f"file not found for '{field}': {path}")
    return path


def load_config(model_dir):
    cfg_path = must_exist(os.path.join(model_dir, "config.json"), "model_dir/config.json")
    with open(cfg_path) as f:
        cfg = json.load(f)
    where = cfg_path
    n_pos = cfg.get("n_positions", cfg.get("n_ctx"))
    if n_pos is None:
        raise JobError(f"missing field 'n_positions' (or 'n_ctx') in {where}")
    return {
        "vocab_size": req_num(cfg, "vocab_size", where, integer=True, minimum=1),
        "n_positions": int(n_pos),
        "n_embd": req_num(cfg, "n_embd", where, integer=True, minimum=1),
        "n_layer": req_num(cfg, "n_layer", where, integer=True, minimum=1),
        "n_head": req_num(cfg, "n_head", where, integer=True, minimum=1),
        # HF GPT2Config default when absent
        "layer_norm_epsilon": float(cfg.get("layer_norm_epsilon", 1e-5)),
    }


def load_model(model_dir):
    cfg = load_config(model_dir)
    C, H = cfg["n_embd"], cfg["n_head"]
    if C % H != 0:
        raise JobError(f"n_embd {C} not divisible by n_head {H}")
    model = GPT2(cfg["vocab_size"], cfg["n_positions"], C, cfg["n_layer"], H, cfg["layer_norm_epsilon"])
    st_path = must_exist(os.path.join(model_dir, "model.safetensors"), "model_dir/model.safetensors")
    header, _ = read_safetensors_header(st_path)
    keys = set(header)
    wanted = {}
    for name, _p in model.hf_state():
        if name in keys:
            wanted[name] = name
        elif "transformer." + name in keys:
            wanted[name] = "transformer." + name
        else:
            raise JobError(f"{st_path}: missing tensor '{name}' (with or without 'transformer.' prefix)")
    arrays = read_safetensors(st_path, set(wanted.values()))
    with torch.no_grad():
        for name, p in model.hf_state():
            a = arrays[wanted[name]]
            if tuple(a.shape) != tuple(p.shape):
                raise JobError(f"{st_path}: tensor '{wanted[name]}' has shape {list(a.shape)}, "
                               f"expected {list(p.shape)} from config.json")
            p.copy_(torch.from_numpy(a))
    return model, cfg


def lora_names(i, target):
    base = f"{PEFT_PREFIX}{i}.{target}."
    return base + "lora_A.weight", base + "lora_B.weight"


def setup_lora(model, cfg, lora, init_path):
    r = req_num(lora, "r", "lora", integer=True, minimum=1)
    alpha = req_num(lora, "alpha", "lora")
    dropout = float(lora.get("dropout", 0.0) or 0.0)
    targets = req(lora, "targets", "lora")
    if not isinstance(targets, list) or not targets:
        raise JobError("field 'targets' in lora must be a non-empty list")
    for t in targets:
        if t not in LORA_TARGETS:
            raise JobError(f"unknown lora target '{t}' (allowed: {', '.join(LORA_TARGETS)})")
    if len(set(targets)) != len(targets):
        raise JobError("duplicate entries in lora.targets")
    if dropout > 0.0:
        print(f"warning: lora.dropout={dropout} > 0 makes the run non-reproducible by other implementations",
              file=sys.stderr)
    init = read_safetensors(init_path)
    scale = alpha / r
    for p in model.parameters():
        p.requires_grad_(False)
    trainable = []
    for i in range(cfg["n_layer"]):
        for t in targets:
            mod = model.target_module(i, t)
            n_in, n_out = mod.weight.shape
            tensors = []
            for name, shape in zip(lora_names(i, t), ((r, n_in), (n_out, r))):
                a = init.get(name)
                if a is None:  # tolerate PEFT's in-memory naming with adapter name
                    a = init.get(name.replace(".weight", ".default.weight"))
                if a is None:
                    raise JobError(f"{init_path}: missing tensor '{name}'")
                if tuple(a.shape) != shape:
                    raise JobError(f"{init_path}: tensor '{name}' has shape {list(a.shape)}, expected {list(shape)}")
                tensors.append(torch.from_numpy(a.astype(np.float32)))
            mod.add_lora(tensors[0], tensors[1], scale, dropout)
            trainable += [(lora_names(i, t)[0], mod.lora_A), (lora_names(i, t)[1], mod.lora_B)]
    return trainable


def lr_at(s, job):
    lr, warm, steps = job["lr"], job["warmup_steps"], job["steps"]
    if s < warm:
        return lr * (s + 1) / warm
    p = (s - warm) / max(1, steps - warm)
    mn = job["min_lr_ratio"] * lr
    if job["schedule"] == "cosine":
        return mn + (lr - mn) * 0.5 * (1.0 + math.cos(math.pi * p))
    if job["schedule"] == "linear":
        return mn + (lr - mn) * (1.0 - p)
    return lr


def jnum(x):
    """float for JSON; non-finite values become null (JSON has no NaN/Inf)."""
    x = float(x)
    return x if math.isfinite(x) else None


def parse_job(job_path):
    if not os.path.isfile(job_path):
        raise JobError(f"job file not found: {job_path}")
    try:
        with open(job_path) as f:
            job = json.load(f)
    except json.JSONDecodeError as e:
        raise JobError(f"job file {job_path} is not valid JSON: {e}")
    if not isinstance(job, dict):
        raise JobError("job file must contain a JSON object")
    base = os.path.dirname(os.path.abspath(job_path))
    j = {}
    j["mode"] = req(job, "mode")
    if j["mode"] not in ("lora", "full"):
        raise JobError(f"field 'mode' must be 'lora' or 'full', got {j['mode']!r}")
    j["model_dir"] = resolve(base, req(job, "model_dir"), "model_dir")
    if not os.path.isdir(j["model_dir"]):
        raise JobError(f"directory not found for 'model_dir': {j['model_dir']}")
    j["batches"] = must_exist(resolve(base, req(job, "batches"), "batches"), "batches")
    if j["mode"] == "lora":
        j["lora"] = req(job, "lora")
        if not isinstance(j["lora"], dict):
            raise JobError("field 'lora' must be an object")
        j["lora_init"] = must_exist(resolve(base, req(job, "lora_init"), "lora_init"), "lora_init")
    for k in ("steps", "grad_accum", "batch_size", "seq_len"):
        j[k] = req_num(job, k, integer=True, minimum=1)
    j["warmup_steps"] = req_num(job, "warmup_steps", integer=True, minimum=0)
    for k in ("lr", "weight_decay", "eps", "min_lr_ratio", "clip_grad_norm"):
        j[k] = req_num(job, k)
    betas = req(job, "betas")
    if (not isinstance(betas, list) or len(betas) != 2
            or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in betas)):
        raise JobError("field 'betas' must be a list of two numbers")
    j["betas"] = (float(betas[0]), float(betas[1]))
    j["schedule"] = req(job, "schedule")
    if j["schedule"] not in ("cosine", "linear", "constant"):
        raise JobError(f"field 'schedule' must be cosine, linear or constant, got {j['schedule']!r}")
    j["log"] = resolve(base, req(job, "log"), "log")
    for k in ("adapter_out", "weights_out"):
        j[k] = resolve(base, job[k], k) if job.get(k) else None
    return job, j


def load_batches(path, j, vocab):
    n_micro = j["steps"] * j["grad_accum"]
    per = j["batch_size"] * (j["seq_len"] + 1)
    size = os.path.getsize(path)
    need = n_micro * per * 4
    if size < need:
        raise JobError(f"batches file {path} has {size} bytes, needs {need} "
                       f"(steps*grad_accum={n_micro} x batch_size={j['batch_size']} x seq_len+1={j['seq_len'] + 1} int32)")
    if size > need:
        print(f"note: batches file has {size - need} extra bytes; only the first {need} are used", file=sys.stderr)
    arr = np.fromfile(path, dtype="<i4", count=n_micro * per).reshape(n_micro, j["batch_size"], j["seq_len"] + 1)
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi >= vocab:
        raise JobError(f"batches file {path} has token ids in [{lo}, {hi}], outside [0, {vocab})")
    return torch.from_numpy(arr.astype(np.int64))


def make_adamw(groups, j):
    kw = dict(lr=j["lr"], betas=j["betas"], eps=j["eps"])
    try:
        return torch.optim.AdamW(groups, foreach=False, **kw)  # single-tensor path, fixed across versions
    except TypeError:
        return torch.optim.AdamW(groups, **kw)


def grad_norm_only(params):
    # same formula as clip_grad_norm_ (norm of the per-tensor 2-norms)
    grads = [p.grad.detach() for p in params if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    return torch.norm(torch.stack([torch.norm(g, 2.0) for g in grads]), 2.0)


def run(job_path, threads):
    raw_job, j = parse_job(job_path)
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(0)
    torch.set_default_dtype(torch.float32)

    model, cfg = load_model(j["model_dir"])
    if j["seq_len"] > cfg["n_positions"]:
        raise JobError(f"seq_len {j['seq_len']} exceeds model n_positions {cfg['n_positions']}")
    if j["mode"] == "lora":
        named_trainable = setup_lora(model, cfg, j["lora"], j["lora_init"])
    else:
        named_trainable = [("transformer." + n, p) for n, p in model.hf_state()]
        for _, p in named_trainable:
            p.requires_grad_(True)
    trainable = [p for _, p in named_trainable]
    batches = load_batches(j["batches"], j, cfg["vocab_size"])
    model.train()

    decay = [p for p in trainable if p.ndim >= 2]
    no_decay = [p for p in trainable if p.ndim < 2]
    groups = []
    if decay:
        groups.append({"params": decay, "weight_decay": j["weight_decay"]})
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    opt = make_adamw(groups, j)

    os.makedirs(os.path.dirname(os.path.abspath(j["log"])), exist_ok=True)
    log = open(j["log"], "w")

    def emit(obj):
        log.write(json.dumps(obj, allow_nan=False) + "\n")
        log.flush()

    emit({"type": "run", "impl": "pytorch", "torch": torch.__version__, "threads": threads, "job": raw_job})

    ga, B, S = j["grad_accum"], j["batch_size"], j["seq_len"]
    tokens_per_step = ga * B * S
    loss_val = None
    t_total0 = time.perf_counter()
    for s in range(j["steps"]):
        t0 = time.perf_counter()
        lr = lr_at(s, j)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad(set_to_none=True)
        losses = []
        for m in range(ga):
            tok = batches[s * ga + m]
            inputs, targets = tok[:, :S], tok[:, 1:]
            logits = model(inputs)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
            (loss / ga).backward()
            losses.append(loss.item())
        loss_val = sum(losses) / ga
        if j["clip_grad_norm"] > 0:
            gn = torch.nn.utils.clip_grad_norm_(trainable, j["clip_grad_norm"])
        else:
            gn = grad_norm_only(trainable)
        opt.step()
        ms = (time.perf_counter() - t0) * 1000.0
        emit({"type": "step", "step": s + 1, "loss": jnum(loss_val), "lr": lr,
              "tokens": (s + 1) * tokens_per_step, "ms": ms, "grad_norm": jnum(gn.item())})
    total_ms = (time.perf_counter() - t_total0) * 1000.0

    meta = {"format": "pt", "producer": "fleettune-pytorch-reference", "torch": torch.__version__}
    if j["adapter_out"]:
        if j["mode"] != "lora":
            print("warning: adapter_out ignored in full mode", file=sys.stderr)
        else:
            write_safetensors(j["adapter_out"], {n: p.detach().numpy() for n, p in named_trainable}, meta)
    if j["weights_out"]:
        if j["mode"] != "full":
            print("warning: weights_out ignored in lora mode", file=sys.stderr)
        else:
            write_safetensors(j["weights_out"], {n: p.detach().numpy() for n, p in named_trainable}, meta)

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux -> MiB
    emit({"type": "done", "steps": j["steps"], "final_loss": jnum(loss_val),
          "tokens": j["steps"] * tokens_per_step, "ms": total_ms, "peak_rss_mb": peak})
    log.close()
    print(f"done: {j['steps']} steps, final loss {loss_val!r}, {total_ms:.0f} ms, log {j['log']}", file=sys.stderr)


def main(argv=None):
    ap = argparse.ArgumentParser(description="FleetTune PyTorch GPT-2 reference trainer")
    ap.add_argument("--job", required=True, help="path to JOB.json")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch threads (default: $OPENBLAS_NUM_THREADS if set, else 1)")
    args = ap.parse_args(argv)
    threads = args.threads
    if threads is None:
        env = os.environ.get("OPENBLAS_NUM_THREADS")
        try:
            threads = int(env) if env else 1
        except ValueError:
            threads = 1
    threads = max(1, threads)
    try:
        run(args.job, threads)
    except JobError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
