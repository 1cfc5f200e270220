# nanoGPT's training loop around the plain PyTorch reference GPT (gpt.py): random windows of a token file,
# linear warmup then cosine decay, AdamW, the global-norm clip, each step timed as nanoGPT times it.
# Not nanoGPT's code and not a trainer of this project: the baseline benchmarks/nanogpt.ts races against.
#
# nanoGPT's shakespeare_char "baby GPT" on CPU (its README): 4 layers, 4 heads, 128 wide, block 64, batch 12,
# 2,000 iterations, lr 1e-3 cosine to 1e-4 over 2,000, warmup 100, beta2 0.99, dropout 0, weight decay 0.1,
# clip 1.0, no bias, exact GELU, tied embeddings. Its data files are nanoGPT's: uint16 token ids, one file per split.
#
#   /usr/bin/python3 benchmarks/reference/nanogpt-loop.py --config baby.json --train train.bin --val val.bin \
#     [--iters 2000] [--batch 12] [--seq 64] [--lr 1e-3] [--min-lr 1e-4] [--warmup 100] [--beta2 0.99] \
#     [--threads 2] [--seed 1337] [--profile-steps 0] [--out result.json]
#
# The schedule is this project's (packages/trainer/src/schedule/schedule.ts: step s = 1..N, warmup lr·s/W, then cosine
# from lr to min-lr over the remaining steps), so both sides train with the same rates; nanoGPT's own differs
# only in an off-by-one at the warmup's start. Step time: from one step's start to the next's, the loss read
# to the host every step (nanoGPT's log_interval 1 does the same). At the end the loss over every
# non-overlapping window of the validation file (the same windows nanogpt.ts scores hyperclone's model on).

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import threading
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpt  # noqa: E402  (this folder's reference model)


def learning_rate(step: int, lr: float, min_lr: float, warmup: int, total: int) -> float:
    if warmup > 0 and step <= warmup:
        return lr * step / warmup
    span = max(1, total - warmup)
    progress = min(1.0, (step - warmup) / span)
    return min_lr + (lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2


def make_optimizer(model: torch.nn.Module, lr: float, betas, weight_decay: float) -> torch.optim.AdamW:
    """Decay on >= 2-D parameters only (nanoGPT's configure_optimizers)."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=1e-8)


@torch.no_grad()
def full_validation_loss(model: gpt.GPT, val: np.ndarray, seq: int, batch: int) -> tuple[float, int]:
    """Mean loss over every target of every non-overlapping window (inputs val[i·T:(i+1)·T], targets shifted by one)."""
    model.eval()
    windows = (len(val) - 1) // seq
    total, count = 0.0, 0
    for start in range(0, windows, batch):
        n = min(batch, windows - start)
        idx = (np.arange(start, start + n) * seq)[:, None] + np.arange(seq)[None, :]  # (n, T)
        x = torch.from_numpy(val[idx].astype(np.int64))
        y = torch.from_numpy(val[idx + 1].astype(np.int64))
        _, loss = model(x, y)
        total += loss.item() * n * seq
        count += n * seq
    model.train()
    return total / count, count


def profile_table(prof) -> tuple[list[dict], float]:
    """Self time per (entry, op), the entry being each event's outermost ancestor, and the time inside any entry."""
    rows: dict = {}
    inside = 0.0
    main = threading.get_ident()
    for e in prof.events():
        root = e
        while root.cpu_parent is not None:
            root = root.cpu_parent
        if root is e:
            inside += e.cpu_time_total
        row = rows.setdefault((root.name, e.name), {"entry": root.name, "name": e.name, "calls": 0, "selfUs": 0.0, "totalUs": 0.0})
        row["calls"] += 1
        row["selfUs"] += e.self_cpu_time_total
        row["totalUs"] += e.cpu_time_total
    del main
    return sorted(rows.values(), key=lambda r: -r["selfUs"]), inside


def main() -> None:
    p = argparse.ArgumentParser(description="nanoGPT's training loop on the reference GPT.")
    p.add_argument("--config", required=True, help="a ModelConfig JSON (gpt.py)")
    p.add_argument("--train", required=True, help="uint16 token ids (nanoGPT's train.bin)")
    p.add_argument("--val", required=True, help="uint16 token ids (nanoGPT's val.bin)")
    p.add_argument("--iters", type=int, default=2000)
    p.add_argument("--batch", type=int, default=12)
    p.add_argument("--seq", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--min-lr", type=float, default=1e-4)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--beta1", type=float, default=0.9)
    p.add_argument("--beta2", type=float, default=0.99)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--grad-clip", type=float, default=1.0)
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave the default)")
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--profile-steps", type=int, default=0, help="also profile this many steps (PyTorch's profiler)")
    p.add_argument("--profile-warmup", type=int, default=10, help="untimed steps before the profiled ones")
    p.add_argument("--no-eval", action="store_true", help="skip the final validation loss")
    p.add_argument("--out", help="write the JSON result here too")
    args = p.parse_args()

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    with open(args.config, encoding="utf-8") as f:
        config = gpt.ModelConfig.from_json(json.load(f))
    train = np.memmap(args.train, dtype=np.uint16, mode="r")
    val = np.memmap(args.val, dtype=np.uint16, mode="r")
    model = gpt.GPT(config)
    gpt.init_weights(model)
    model.train()
    optimizer = make_optimizer(model, args.lr, (args.beta1, args.beta2), args.weight_decay)
    B, T = args.batch, args.seq

    def get_batch():
        ix = torch.randint(len(train) - T, (B,))
        x = torch.stack([torch.from_numpy(train[i : i + T].astype(np.int64)) for i in ix.tolist()])
        y = torch.stack([torch.from_numpy(train[i + 1 : i + 1 + T].astype(np.int64)) for i in ix.tolist()])
        return x, y

    def step(it: int) -> float:
        lr = learning_rate(it, args.lr, args.min_lr, args.warmup, args.iters)
        for group in optimizer.param_groups:
            group["lr"] = lr
        x, y = get_batch()
        _, loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if args.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
        optimizer.step()
        return loss.item()

    result: dict = {
        "impl": "pytorch-reference (nanoGPT's loop)",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "params": sum(q.numel() for q in model.parameters()),
        "batch": B,
        "seq": T,
        "iters": args.iters,
    }
    if args.profile_steps > 0:
        from torch.profiler import ProfilerActivity, profile

        for it in range(1, args.profile_warmup + 1):
            step(it)
        started = time.perf_counter()
        for it in range(args.profile_warmup + 1, args.profile_warmup + args.profile_steps + 1):
            step(it)
        plain_ms = 1000 * (time.perf_counter() - started) / args.profile_steps
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            started = time.perf_counter()
            for it in range(1, args.profile_steps + 1):
                step(it)
            profiled_ms = 1000 * (time.perf_counter() - started) / args.profile_steps
        ops, inside_us = profile_table(prof)
        result.update(
            {
                "profileSteps": args.profile_steps,
                "stepMs": plain_ms,
                "profiledStepMs": profiled_ms,
                "wallUs": profiled_ms * 1000 * args.profile_steps,
                "insideUs": inside_us,
                "ops": ops,
            }
        )
    else:
        step_ms, losses = [], []
        started = time.perf_counter()
        last = started
        for it in range(1, args.iters + 1):
            losses.append(step(it))
            now = time.perf_counter()
            step_ms.append(1000 * (now - last))
            last = now
        wall = time.perf_counter() - started
        ordered = sorted(step_ms[10:] or step_ms)
        median_ms = ordered[(len(ordered) - 1) // 2]
        result.update(
            {
                "stepMs": step_ms,
                "medianStepMs": median_ms,
                "tokensPerSecPerStep": B * T / (median_ms / 1000),
                "trainWallSec": wall,
                "finalTrainLoss": losses[-1],
            }
        )
        if not args.no_eval:
            started = time.perf_counter()
            loss, tokens = full_validation_loss(model, val, T, 64)
            result.update({"valLoss": loss, "valTokens": tokens, "evalSec": time.perf_counter() - started})
    line = json.dumps(result)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(line + "\n")
    print(line)


if __name__ == "__main__":
    main()
