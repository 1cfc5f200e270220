# The plain PyTorch reference of hyperclone's GPT family: one nn.Module mirroring core/src/model.ts.
# Not a trainer and not part of the library: the oracle for parity fixtures and the baseline for throughput.
#
# Runs on torch 1.13 (Debian's /usr/bin/python3) and on PyTorch 2.x. Reads our ModelConfig JSON
# (camelCase, core/src/config.ts) and uses our canonical parameter names (core/src/param-spec.ts),
# so `model.state_dict()` is a hyperclone state dict: weights [out, in] like nn.Linear.
#
# Dimension letters: B batch, T time, C dModel, H query heads, K kv heads, D headDim, F dFF, V vocab.
#
#   /usr/bin/python3 benchmarks/reference/gpt.py --config model.json --batch 8 --seq 128 --steps 20

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import dataclass, fields
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

IGNORE_INDEX = -1
HAS_SDPA = hasattr(F, "scaled_dot_product_attention")  # PyTorch >= 2.0


@dataclass
class ModelConfig:
    vocabSize: int
    contextLength: int
    nLayer: int
    dModel: int
    nHead: int
    nKvHead: int
    headDim: int
    dFF: int
    norm: str = "layernorm"  # 'layernorm' | 'rmsnorm'
    normEps: float = 1e-5
    position: str = "learned"  # 'learned' | 'rope'
    ropeTheta: float = 10000.0
    mlp: str = "gelu"  # 'gelu' | 'swiglu'
    bias: bool = True
    tieEmbeddings: bool = True
    logitScale: float = 1.0
    dropout: float = 0.0
    # the Hugging Face families' extras; None means the default core/src/config.ts gives them
    activation: Optional[str] = None  # 'gelu-tanh' | 'gelu-exact' | 'relu' | 'silu'
    parallelResidual: Optional[bool] = None
    ropeDims: Optional[int] = None
    positionOffset: Optional[int] = None
    qkvBias: Optional[bool] = None
    oBias: Optional[bool] = None
    mlpBias: Optional[bool] = None

    def act(self) -> str:
        return self.activation or ("silu" if self.mlp == "swiglu" else "gelu-tanh")

    def bias_of(self, group: str) -> bool:
        own = {"qkv": self.qkvBias, "o": self.oBias, "mlp": self.mlpBias}[group]
        return self.bias if own is None else own

    @staticmethod
    def from_json(obj: dict) -> "ModelConfig":
        """Reads a ModelConfig (or a checkpoint's config.json: extra keys such as `format` are ignored)."""
        known = {f.name for f in fields(ModelConfig)}
        config = ModelConfig(**{k: v for k, v in obj.items() if k in known})
        if config.nHead % config.nKvHead != 0:
            raise ValueError(f"nHead ({config.nHead}) must be a multiple of nKvHead ({config.nKvHead})")
        return config

    def to_json(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


class LayerNorm(nn.Module):
    """LayerNorm over the last axis with an optional bias (torch 1.13's nn.LayerNorm cannot drop it)."""

    def __init__(self, width: int, bias: bool, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(width))
        self.bias = nn.Parameter(torch.zeros(width)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, self.eps)


class RMSNorm(nn.Module):
    """x / sqrt(mean(x²) + eps) * w, no bias (Llama's)."""

    def __init__(self, width: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(width))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def make_norm(c: ModelConfig) -> nn.Module:
    return LayerNorm(c.dModel, c.bias, c.normEps) if c.norm == "layernorm" else RMSNorm(c.dModel, c.normEps)


def rope_tables(T: int, D: int, theta: float, device, dtype):
    """cos, sin (T, D) in the half-split layout: angle(t, i) = t·θ^(-2i/D) for i < D/2, repeated twice."""
    inv_freq = theta ** (-torch.arange(0, D, 2, dtype=torch.float64, device=device) / D)  # (D/2)
    angles = torch.arange(T, dtype=torch.float64, device=device)[:, None] * inv_freq[None, :]  # (T, D/2)
    angles = torch.cat([angles, angles], dim=-1)  # (T, D)
    return angles.cos().to(dtype), angles.sin().to(dtype)


def rotate_half(x):
    """[x1, x2] -> [-x2, x1] on the last axis split in halves (GPT-NeoX / Llama)."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat([-x2, x1], dim=-1)


def apply_rope(x, cos, sin):
    """The first R = cos.shape[-1] dims of each head rotate (all of them unless partial, GPT-NeoX); the rest pass."""
    r = cos.shape[-1]
    rot, rest = x[..., :r], x[..., r:]
    return torch.cat([rot * cos + rotate_half(rot) * sin, rest], dim=-1)  # (B, H, T, D)


def repeat_kv(x, group: int):
    """(B, K, T, D) -> (B, K·group, T, D): q head h reads kv head h // group (Llama's repeat_kv)."""
    return x if group == 1 else torch.repeat_interleave(x, group, dim=1)


class Attention(nn.Module):
    def __init__(self, c: ModelConfig):
        super().__init__()
        self.c = c
        self.q = nn.Linear(c.dModel, c.nHead * c.headDim, bias=c.bias_of("qkv"))
        self.k = nn.Linear(c.dModel, c.nKvHead * c.headDim, bias=c.bias_of("qkv"))
        self.v = nn.Linear(c.dModel, c.nKvHead * c.headDim, bias=c.bias_of("qkv"))
        self.o = nn.Linear(c.nHead * c.headDim, c.dModel, bias=c.bias_of("o"))
        self.use_sdpa = HAS_SDPA

    def forward(self, x, rope):
        c = self.c
        B, T, _ = x.shape
        q = self.q(x).view(B, T, c.nHead, c.headDim).transpose(1, 2)  # (B, H, T, D)
        k = self.k(x).view(B, T, c.nKvHead, c.headDim).transpose(1, 2)  # (B, K, T, D)
        v = self.v(x).view(B, T, c.nKvHead, c.headDim).transpose(1, 2)  # (B, K, T, D)
        if rope is not None:
            q, k = apply_rope(q, *rope), apply_rope(k, *rope)
        k = repeat_kv(k, c.nHead // c.nKvHead)  # (B, H, T, D)
        v = repeat_kv(v, c.nHead // c.nKvHead)  # (B, H, T, D)
        p_drop = c.dropout if self.training else 0.0
        if self.use_sdpa:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=p_drop, is_causal=True)  # scale 1/sqrt(D)
        else:
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(c.headDim)  # (B, H, T, T)
            causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
            scores = scores.masked_fill(~causal, float("-inf"))
            y = F.dropout(scores.softmax(dim=-1), p_drop, self.training) @ v  # (B, H, T, D)
        y = y.transpose(1, 2).reshape(B, T, c.nHead * c.headDim)  # (B, T, H·D)
        return F.dropout(self.o(y), c.dropout, self.training)  # (B, T, C)


class MLP(nn.Module):
    def __init__(self, c: ModelConfig):
        super().__init__()
        self.c = c
        self.up = nn.Linear(c.dModel, c.dFF, bias=c.bias_of("mlp"))
        if c.mlp == "swiglu":
            self.gate = nn.Linear(c.dModel, c.dFF, bias=c.bias_of("mlp"))
        self.down = nn.Linear(c.dFF, c.dModel, bias=c.bias_of("mlp"))

    def forward(self, x):
        if self.c.mlp == "swiglu":
            h = activate(self.c.act(), self.gate(x)) * self.up(x)  # (B, T, F)
        else:
            h = activate(self.c.act(), self.up(x))  # (B, T, F)
        return F.dropout(self.down(h), self.c.dropout, self.training)  # (B, T, C)


def activate(kind: str, x):
    if kind == "gelu-tanh":
        return F.gelu(x, approximate="tanh")  # GPT-2's tanh approximation
    if kind == "gelu-exact":
        return F.gelu(x)
    if kind == "relu":
        return F.relu(x)
    if kind == "silu":
        return F.silu(x)
    raise ValueError(f"unknown activation {kind!r}")


class Block(nn.Module):
    """Pre-norm residual block; attributes registered in param-spec order."""

    def __init__(self, c: ModelConfig):
        super().__init__()
        self.norm1 = make_norm(c)
        self.attn = Attention(c)
        self.norm2 = make_norm(c)
        self.mlp = MLP(c)
        self.parallel = bool(c.parallelResidual)

    def forward(self, x, rope):
        if self.parallel:  # GPT-NeoX: both branches read the block's input
            return x + self.attn(self.norm1(x), rope) + self.mlp(self.norm2(x))
        x = x + self.attn(self.norm1(x), rope)
        return x + self.mlp(self.norm2(x))


class GPT(nn.Module):
    def __init__(self, c: ModelConfig):
        super().__init__()
        self.c = c
        self.tok_emb = nn.Embedding(c.vocabSize, c.dModel)
        if c.position == "learned":
            self.pos_emb = nn.Embedding(c.contextLength + (c.positionOffset or 0), c.dModel)
        self.blocks = nn.ModuleList([Block(c) for _ in range(c.nLayer)])
        self.norm_f = make_norm(c)
        if not c.tieEmbeddings:
            self.lm_head = nn.Linear(c.dModel, c.vocabSize, bias=False)

    def set_sdpa(self, on: bool) -> None:
        """Fused attention (PyTorch 2.x) or the explicit softmax composition."""
        for block in self.blocks:
            block.attn.use_sdpa = on and HAS_SDPA

    def forward(self, tokens, targets=None):
        """tokens (B, T) int -> logits (B, T, V), and the mean loss over targets != -1 when given."""
        c = self.c
        B, T = tokens.shape
        if T > c.contextLength:
            raise ValueError(f"sequence length {T} exceeds the model's context length {c.contextLength}")
        x = self.tok_emb(tokens)  # (B, T, C)
        if c.position == "learned":
            x = x + self.pos_emb(torch.arange(T, device=tokens.device) + (c.positionOffset or 0))  # (B, T, C) + (T, C)
        x = F.dropout(x, c.dropout, self.training)
        rope_dims = c.ropeDims or c.headDim
        rope = rope_tables(T, rope_dims, c.ropeTheta, x.device, x.dtype) if c.position == "rope" else None
        for block in self.blocks:
            x = block(x, rope)  # (B, T, C)
        x = self.norm_f(x)
        head = self.tok_emb.weight if c.tieEmbeddings else self.lm_head.weight  # (V, C)
        logits = F.linear(x, head) * c.logitScale  # (B, T, V)
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(B * T).long(), ignore_index=IGNORE_INDEX)
        return logits, loss


def init_weights(model: GPT, std: float = 0.02, generator=None) -> None:
    """N(0, std) matrices (residual projections scaled by 1/sqrt(2·nLayer)), ones/zeros for norms and biases."""
    residual_std = std / math.sqrt(2 * model.c.nLayer)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                scale = residual_std if name.endswith(("attn.o.weight", "mlp.down.weight")) else std
                p.normal_(0.0, scale, generator=generator)
            elif "norm" in name and name.endswith(".weight"):
                p.fill_(1.0)
            else:
                p.zero_()


def make_optimizer(model: nn.Module, lr: float, weight_decay: float = 0.1) -> torch.optim.AdamW:
    """AdamW with decay on >= 2-D parameters only, betas (0.9, 0.95), eps 1e-8."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.95), eps=1e-8)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train_steps(config, batch: int, seq: int, steps: int, lr: float = 3e-4, device: str = "cpu",
                dtype: str = "float32", warmup_steps: int = 2, seed: int = 0, grad_clip: float = 0.0,
                compile: bool = False) -> dict:
    """Times `steps` AdamW steps on random tokens (after `warmup_steps` untimed ones); prints and returns JSON.

    dtype 'float32' / 'float64' trains in that precision; 'bfloat16' / 'float16' runs the forward under
    autocast with float32 master weights (the usual mixed-precision recipe). grad_clip > 0 clips the
    global gradient norm with clip_grad_norm_ between backward and the update, as the trainer does.
    compile runs the model through torch.compile (PyTorch 2.x; its compilation happens in the warmup steps).
    """
    c = config if isinstance(config, ModelConfig) else ModelConfig.from_json(config)
    dev = torch.device(device)
    autocast_dtype = {"bfloat16": torch.bfloat16, "float16": torch.float16}.get(dtype)
    param_dtype = {"float32": torch.float32, "float64": torch.float64}.get(dtype, torch.float32)
    if autocast_dtype is None and dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be float32, float64, bfloat16 or float16 (got {dtype!r})")
    torch.manual_seed(seed)
    model = GPT(c).to(device=dev, dtype=param_dtype)
    init_weights(model)
    model.train()
    optimizer = make_optimizer(model, lr)
    compiled = model
    if compile:
        if not hasattr(torch, "compile"):
            raise ValueError(f"torch.compile needs PyTorch 2.x (this is {torch.__version__})")
        compiled = torch.compile(model)
    tokens = torch.randint(0, c.vocabSize, (batch, seq + 1), device=dev)
    inputs, targets = tokens[:, :-1], tokens[:, 1:]  # (B, T) each

    def step() -> torch.Tensor:
        with torch.autocast(dev.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            _, loss = compiled(inputs, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        return loss.detach()

    for _ in range(warmup_steps):
        step()
    _sync(dev)
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    _sync(dev)
    result = _report(model, dev, dtype, batch, seq, steps, time.perf_counter() - start, loss.item())
    result["gradClip"] = grad_clip
    result["compiled"] = compile
    print(json.dumps(result))
    return result


def _report(model: GPT, dev: torch.device, dtype: str, batch: int, seq: int, steps: int, wall_s: float,
            final_loss: float) -> dict:
    return {
        "impl": "pytorch-reference",
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else str(dev),
        "dtype": dtype,
        "sdpa": HAS_SDPA,
        "params": sum(p.numel() for p in model.parameters()),
        "batch": batch,
        "seq": seq,
        "steps": steps,
        "wallSec": wall_s,
        "stepMs": 1000 * wall_s / steps,
        "tokensPerSec": batch * seq * steps / wall_s,
        "finalLoss": final_loss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Time AdamW steps of the plain PyTorch reference GPT.")
    parser.add_argument("--config", required=True, help="a ModelConfig JSON file (or a checkpoint's config.json)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64", "bfloat16", "float16"])
    parser.add_argument("--grad-clip", type=float, default=0.0, help="clip_grad_norm_ max norm (0: off)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model (PyTorch 2.x)")
    args = parser.parse_args()
    with open(args.config, encoding="utf-8") as f:
        config = ModelConfig.from_json(json.load(f))
    train_steps(config, args.batch, args.seq, args.steps, args.lr, args.device, args.dtype, grad_clip=args.grad_clip,
                compile=args.compile)


if __name__ == "__main__":
    main()
