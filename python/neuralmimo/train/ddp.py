# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Device choice and DistributedDataParallel plumbing.

Single process: no process group, every collective is the identity.
Under torchrun (WORLD_SIZE > 1 in the environment):

    torchrun --nproc_per_node N -m neuralmimo.cli.train cfg.toml            # one node
    torchrun --nnodes M --node_rank R --master_addr HOST --master_port P \\
             --nproc_per_node N -m neuralmimo.cli.train cfg.toml            # M nodes

the process group is initialised from the torchrun variables (RANK,
WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT; init_method env://), nccl on
CUDA (one GPU per process: cuda:LOCAL_RANK) and gloo on the CPU. Only global
rank 0 writes files; --resume reads the checkpoint on every rank, so on several
nodes the output directory must be on a shared file system.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


def resolve_device(pref: str, local_rank: int = 0) -> torch.device:
    """'cpu' | 'cuda' | 'cuda:N' | 'auto' -> torch.device. Under DDP 'cuda'/'auto' mean cuda:LOCAL_RANK."""
    if pref == "cpu":
        return torch.device("cpu")
    available = torch.cuda.is_available()
    if pref == "auto":
        pref = "cuda" if available else "cpu"
        if pref == "cpu":
            return torch.device("cpu")
    if not available:
        raise ValueError(f"train.device: {pref!r} requested but torch.cuda.is_available() is False")
    index = int(pref[5:]) if pref.startswith("cuda:") else local_rank
    if index >= torch.cuda.device_count():
        raise ValueError(f"train.device: {pref!r} (index {index}) but only {torch.cuda.device_count()} GPU(s)")
    return torch.device("cuda", index)


@dataclass
class DistContext:
    """rank, world_size, local_rank, device; owns_group: we initialised the process group."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")
    owns_group: bool = False

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def all_reduce_sum(self, t: torch.Tensor) -> torch.Tensor:
        if self.distributed:
            dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return t

    def broadcast(self, t: torch.Tensor) -> torch.Tensor:
        """Rank 0's value of ``t`` on every rank."""
        if self.distributed:
            dist.broadcast(t, src=0)
        return t

    def gather_objects(self, obj) -> list:
        if not self.distributed:
            return [obj]
        out = [None] * self.world_size
        dist.all_gather_object(out, obj)
        return out

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    def close(self) -> None:
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()
            self.owns_group = False


def setup(device_pref: str) -> DistContext:
    """DistContext from the environment; initialises the process group under torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistContext(device=resolve_device(device_pref))
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(device_pref, local_rank)
    owns = False
    if not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
            dist.init_process_group("nccl", init_method="env://", device_id=device)
        else:
            dist.init_process_group("gloo", init_method="env://")
        owns = True
    return DistContext(rank, world, local_rank, device, owns)


class TrainForward(nn.Module):
    """Makes DDP call forward_train (DDP only hooks a module's forward)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, y, h, noise_var, **stored):
        return self.model.forward_train(y, h, noise_var, **stored)


def wrap(model: nn.Module, ctx: DistContext, find_unused: bool) -> nn.Module:
    """TrainForward(model), in DDP when distributed.

    Called again at every stage: DDP registers its gradient hooks for the
    parameters that require grad when it is built, so a new trainable group needs a new wrapper.
    find_unused: DDP searches the graph for parameters without a gradient at
    every step. The trainer freezes, per stage, the parameters that get no
    gradient from the loss (layers beyond active_layers, an LLR head under an
    estimate loss), so only a model whose set of used parameters changes from
    batch to batch needs it (TrainableDetector.ddp_find_unused_parameters).
    """
    wrapped = TrainForward(model)
    if not ctx.distributed:
        return wrapped
    from torch.nn.parallel import DistributedDataParallel

    ids = [ctx.device.index] if ctx.device.type == "cuda" else None
    return DistributedDataParallel(wrapped, device_ids=ids, find_unused_parameters=find_unused)


def state_digest(model: nn.Module) -> str:
    """sha256 over the state_dict's bytes (to check that ranks hold identical weights)."""
    h = hashlib.sha256()
    for name, t in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()
