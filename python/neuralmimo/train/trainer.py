# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared trainer: runs a schedule's stages on a TrainableDetector.

Per stage: set active_layers and the stage settings, make only the stage's
parameter group trainable, fresh Adam at the stage's lr, validate once (epoch
0: the starting point), then epochs of ``steps_per_epoch`` steps on fresh data
with lr · lr_decay^(epoch−1), each followed by validation on a fixed set,
early stopping on the validation NMSE (decided on rank 0 and broadcast), and a
checkpoint. When the stage stops, the best weights seen in it (the starting
point included) are restored.

Reproducibility: the data generator and torch's global RNG are reseeded at the
start of every epoch from (seed, rank, stage, epoch), and the validation set of
an SNR range depends only on (seed, range). So a run resumed from last.pt ends
with the same weights as an uninterrupted one (same device and world size), and
DDP ranks draw different data.
"""
from __future__ import annotations

import copy
import gc
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from . import ddp
from .checkpoint import load_checkpoint, save_checkpoint
from .config import TrainConfig
from .data import Batch, DataSource, derive_seed
from .losses import LOSSES, metric_sums
from .plot import plot_history, write_csv
from .stored import StoredSets, forward


@dataclass
class TrainResult:
    """out_dir; last/final checkpoint paths (final None if the run stopped early); csv/png logs;
    finished: the whole schedule ran; history: log rows; digests: per-rank weight digests (final)."""

    out_dir: Path
    last: Path
    final: Path | None
    csv: Path
    png: Path
    finished: bool
    history: list = field(default_factory=list)
    digests: list = field(default_factory=list)


def _db(v: float) -> float:
    import math

    return 10.0 * math.log10(v) if v > 0 else float("-inf")


def _cpu_state(model) -> dict:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


class Trainer:
    """Trainer(cfg, out_dir=None, device=None, quiet=False).fit(resume=False, ...) -> TrainResult.

    out_dir / device override the config's train.out / train.device.
    """

    def __init__(self, cfg: TrainConfig, out_dir=None, device: str | None = None, quiet: bool = False):
        self.cfg = cfg
        self.out = Path(out_dir if out_dir is not None else cfg.train.out)
        self.device_pref = device or cfg.train.device
        self.quiet = quiet
        self.stored = StoredSets(cfg, self._log, quiet)

    # ------------------------------------------------------------------ public
    def fit(self, resume: bool = False, overwrite: bool = False,
            stop_after_epochs: int | None = None) -> TrainResult:
        """Train the whole schedule (or continue it with resume=True from <out>/last.pt).

        overwrite: start afresh even if <out> already holds a run (otherwise ValueError).
        stop_after_epochs: return after this many epochs of this call (for time-limited
        jobs; continue with resume=True).
        """
        if stop_after_epochs is not None and stop_after_epochs < 1:
            raise ValueError(f"stop_after_epochs: {stop_after_epochs!r} is not a positive integer")
        ctx = ddp.setup(self.device_pref)
        try:
            return self._fit(ctx, resume, overwrite, stop_after_epochs)
        finally:
            ctx.close()

    # ------------------------------------------------------------------ helpers
    def _log(self, ctx, msg: str) -> None:
        if ctx.is_main and not self.quiet:
            from tqdm.auto import tqdm

            tqdm.write(msg)

    @staticmethod
    def _init_from(model, path, dev) -> None:
        """Copy the weights `model` shares (same key, same shape) with the checkpoint at `path`.
        ValueError when no trainable parameter is among them (a checkpoint of another family)."""
        src = load_checkpoint(path, map_location=dev)["state_dict"]
        own = model.state_dict()
        shared = {k: v for k, v in src.items() if k in own and own[k].shape == v.shape}
        params = {name for name, _ in model.named_parameters()}
        if not params & set(shared):   # constant buffers (constellation tables) alone do not count
            raise ValueError(f"train.init_from: {path} shares no weight (same name and shape) with this model")
        model.load_state_dict(shared, strict=False)

    def _validate(self, model, val: list, ctx) -> dict:
        """-> {"nmse": linear, "nmse_db", "ber" (None without LLRs)} over all ranks' shards."""
        chunk = max(4 * self.cfg.data.batch, 1024)
        sums = torch.zeros(4, dtype=torch.float64, device=ctx.device)
        was_training = model.training
        model.eval()
        with torch.no_grad():
            for part in val:
                for i in range(0, len(part), chunk):
                    b = part[i:i + chunk]
                    sums += metric_sums(forward(model.forward_train, b), b.x, b.bits)
        model.train(was_training)
        s = ctx.all_reduce_sum(sums).tolist()
        nmse = s[0] / max(s[1], 1.0)
        return {"nmse": nmse, "nmse_db": _db(nmse), "ber": (s[2] / s[3]) if s[3] else None}

    @staticmethod
    def _used_parameters(model, params, probe: Batch, loss_fn) -> list:
        """The parameters of ``params`` that get a gradient from the loss on ``probe`` (the same
        few vectors on every rank, so that all ranks freeze the same parameters).

        The others (layers beyond active_layers, an LLR head under an estimate
        loss) would never change; they are frozen for the stage, so that DDP,
        which expects a gradient for every parameter that requires one, needs
        no search for unused parameters at each step.
        """
        b = probe
        loss = loss_fn(model.forward_train(b.y, b.h, b.noise_var), b.x, b.bits)
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        return [p for p, g in zip(params, grads) if g is not None]

    @staticmethod
    def _freeze_all_but(model, params) -> list:
        ids = {id(p) for p in params}
        for p in model.parameters():
            p.requires_grad_(id(p) in ids)
        return list(params)

    def _state(self, model, stages, si, epoch, stage_done, finished, opt, best, best_state, bad, gen,
               history, ctx) -> dict:
        cfg = self.cfg
        settings: dict = {}
        for s in stages[:si + 1]:
            settings.update(s.settings)
        ranges: list = []
        for s in stages[:si + 1]:
            if list(s.snr_db) not in ranges:
                ranges.append(list(s.snr_db))
        return {
            "model_config": model.config(), "state_dict": _cpu_state(model),
            "active_layers": model.active_layers, "settings": settings,
            "stage_index": si, "epoch": epoch, "stage_done": stage_done, "finished": finished,
            "optimizer": opt.state_dict() if opt is not None else None,
            "best_metric": best, "best_state": best_state, "bad_epochs": bad,
            "rng": {"torch": torch.get_rng_state(), "data_generator": gen.get_state().cpu(),
                    "scheme": "per-epoch reseed: derive_seed(seed, 'train'|'torch', rank, stage, epoch)"},
            "history": copy.deepcopy(history), "stages": [s.to_dict() for s in stages],
            "config": cfg.resolved, "config_hash": cfg.hash, "training_snr_db": ranges,
            "snr_convention": cfg.data.snr_convention, "channel": cfg.data.channel,
            "world_size": ctx.world_size, "torch_version": torch.__version__.split("+")[0],
        }

    # ------------------------------------------------------------------ main loop
    def _fit(self, ctx, resume: bool, overwrite: bool, stop_after: int | None) -> TrainResult:
        from tqdm.auto import tqdm

        cfg, tr = self.cfg, self.cfg.train
        dev, main = ctx.device, ctx.is_main
        last_path, final_path = self.out / "last.pt", self.out / "final.pt"
        csv_path, png_path = self.out / "history.csv", self.out / "history.png"
        stages = list(cfg.stages)

        ckpt = None
        if resume:
            if not last_path.is_file():
                raise ValueError(f"--resume: no checkpoint {last_path} to resume from")
            ckpt = load_checkpoint(last_path, map_location=dev)
            if ckpt["config_hash"] != cfg.hash:
                raise ValueError(f"--resume: the config (hash {cfg.hash}) differs from the one of {last_path} "
                                 f"(hash {ckpt['config_hash']}); resume with the same config and --set values")
        else:
            held = torch.tensor([int(main and (last_path.exists() or final_path.exists()))], device=dev)
            if ctx.broadcast(held).item() and not overwrite:
                raise ValueError(f"out: {self.out} already holds a run; use --resume to continue it, "
                                 f"--overwrite to start again, or another --out")

        torch.manual_seed(tr.seed)
        model = cfg.build_model().to(dev)
        if tr.init_from and ckpt is None:
            self._init_from(model, tr.init_from, dev)
        data = DataSource(cfg.data)
        gen = torch.Generator(device=dev)
        loss_fn = LOSSES[tr.loss]
        history: list = []
        start, pending = 0, None
        if ckpt is not None:
            model.load_state_dict(ckpt["state_dict"])
            history = list(ckpt["history"])
            if ckpt["finished"]:
                self._log(ctx, f"{last_path}: the run already finished")
                return TrainResult(self.out, last_path, final_path if final_path.exists() else None,
                                   csv_path, png_path, True, history)
            si = int(ckpt["stage_index"])
            for s in stages[:si + 1]:
                model.apply_settings(**s.settings)
            model.active_layers = stages[si].active_layers
            torch.set_rng_state(ckpt["rng"]["torch"].cpu())
            if ckpt["stage_done"]:
                start = si + 1
            else:
                start, pending = si, ckpt
            self._log(ctx, f"resuming after stage {si + 1} '{stages[si].name}' epoch {ckpt['epoch']}")

        elapsed0 = float(history[-1]["elapsed_s"]) if history else 0.0
        t0 = time.time()
        epochs_run = 0
        last_plot = t0

        def row(si, stage, epoch, lr, train_loss, m, best):
            return {"stage_index": si, "stage": stage.name, "epoch": epoch,
                    "active_layers": stage.active_layers, "group": stage.group, "snr_db": list(stage.snr_db),
                    "lr": lr, "train_loss": train_loss, "val_nmse_db": m["nmse_db"], "val_ber": m["ber"],
                    "best_val_nmse_db": _db(best), "elapsed_s": elapsed0 + time.time() - t0}

        def save(path, **kw):
            if main:
                save_checkpoint(path, self._state(model, stages, gen=gen, history=history, ctx=ctx, **kw))
                write_csv(history, csv_path)

        for si in range(start, len(stages)):
            stage = stages[si]
            model.active_layers = stage.active_layers
            if pending is None:
                model.apply_settings(**stage.settings)
            val = self.stored.validation(data, tr.validation_snr_db or stage.snr_db, ctx, model)
            trainable = self._freeze_all_but(model, model.parameter_group(stage.group))
            probe = data.sample(2, stage.snr_db, torch.Generator().manual_seed(tr.seed)).to(dev)
            trainable = self._freeze_all_but(model, self._used_parameters(model, trainable, probe, loss_fn))
            if not trainable:
                raise ValueError(f"schedule stage {si + 1} '{stage.name}': no parameter of group "
                                 f"'{stage.group}' gets a gradient from loss '{tr.loss}'")
            opt = torch.optim.Adam(trainable, lr=stage.lr)
            net = ddp.wrap(model, ctx, bool(getattr(model, "ddp_find_unused_parameters", False)))

            if pending is not None:
                opt.load_state_dict(pending["optimizer"])
                best, bad = float(pending["best_metric"]), int(pending["bad_epochs"])
                best_state = {k: v.to(dev) for k, v in pending["best_state"].items()}
                first = int(pending["epoch"]) + 1
                pending = None
            else:
                m = self._validate(model, val, ctx)
                best, bad, first = m["nmse"], 0, 1
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                history.append(row(si, stage, 0, None, None, m, best))
                self._log(ctx, f"[{si + 1}/{len(stages)}] {stage.name}: start, validation NMSE "
                               f"{m['nmse_db']:.2f} dB ({stage.group}, {stage.active_layers} layer(s), "
                               f"SNR {stage.snr_db[0]:g}..{stage.snr_db[1]:g} dB)")

            stop = False
            for epoch in range(first, stage.max_epochs + 1):
                lr = stage.lr_at(epoch)
                for g in opt.param_groups:
                    g["lr"] = lr
                gen.manual_seed(derive_seed(tr.seed, "train", ctx.rank, si, epoch))
                torch.manual_seed(derive_seed(tr.seed, "torch", ctx.rank, si, epoch))
                model.train()
                loss_sum = torch.zeros((), dtype=torch.float64, device=dev)
                bar = tqdm(range(tr.steps_per_epoch), desc=f"[{si + 1}/{len(stages)}] {stage.name} ep {epoch}",
                           leave=False, disable=self.quiet or not main, unit="step")
                pool = self.stored.pool(data, stage.snr_db, ctx, model) if cfg.data.pool else None
                for step in bar:
                    if pool is None:
                        b = data.sample(cfg.data.batch, stage.snr_db, gen)
                    else:
                        b = pool[torch.randint(0, len(pool), (cfg.data.batch,), generator=gen, device=dev)]
                    loss = loss_fn(forward(net, b), b.x, b.bits)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    if tr.grad_clip > 0:
                        torch.nn.utils.clip_grad_norm_(trainable, tr.grad_clip)
                    opt.step()
                    loss_sum += loss.detach()
                    if not bar.disable and step % 10 == 0:
                        bar.set_postfix(loss=f"{loss.item():.4g}")
                bar.close()
                train_loss = ctx.all_reduce_sum(loss_sum).item() / (tr.steps_per_epoch * ctx.world_size)
                m = self._validate(model, val, ctx)
                improved = m["nmse_db"] < _db(best) - stage.min_improvement_db
                next_bad = 0 if improved else bad + 1
                flags = torch.tensor([int(improved), int(next_bad >= stage.patience or epoch == stage.max_epochs)],
                                     device=dev)
                improved, stop = (bool(v) for v in ctx.broadcast(flags).tolist())
                if improved:
                    best, bad = m["nmse"], 0
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                else:
                    bad += 1
                if stop:
                    model.load_state_dict(best_state)
                history.append(row(si, stage, epoch, lr, train_loss, m, best))
                ber = f", BER {m['ber']:.3g}" if m["ber"] is not None else ""
                self._log(ctx, f"[{si + 1}/{len(stages)}] {stage.name} epoch {epoch}: loss {train_loss:.4g}, "
                               f"validation NMSE {m['nmse_db']:.2f} dB{ber} (best {_db(best):.2f})"
                               + (" -> stage done" if stop else ""))
                save(last_path, si=si, epoch=epoch, stage_done=stop, finished=False, opt=opt, best=best,
                     best_state=None if stop else {k: v.cpu() for k, v in best_state.items()}, bad=bad)
                epochs_run += 1
                if stop and tr.stage_checkpoints:
                    save(self.out / "stages" / f"{si:03d}-{stage.name}.pt", si=si, epoch=epoch, stage_done=True,
                         finished=False, opt=None, best=best, best_state=None, bad=bad)
                if stop or (stop_after is not None and epochs_run >= stop_after):
                    break
            del net
            gc.collect()   # drop the old DDP reducer (and its gradient hooks) before the next wrapper
            if main and stop and time.time() - last_plot > 60.0:   # refresh the PNG now and then
                plot_history(history, png_path, title=f"{cfg.model['family']} ({Path(cfg.source).name})")
                last_plot = time.time()
            out_of_epochs = stop_after is not None and epochs_run >= stop_after
            if not stop or (out_of_epochs and si < len(stages) - 1):
                if main:
                    plot_history(history, png_path, title=f"{cfg.model['family']} ({Path(cfg.source).name})")
                ctx.barrier()
                return TrainResult(self.out, last_path, None, csv_path, png_path, False, history)

        # A family may fit parts that no gradient trains once the stages end (EQ-Net's k-means
        # codebooks), on fresh batches of the data source; every rank draws the same ones, so the
        # ranks keep equal weights.
        fit_after = getattr(model, "fit_after_training", None)
        if fit_after is not None:
            snr = tr.validation_snr_db or stages[-1].snr_db
            if cfg.data.pool:    # from the pool, whose teacher targets are computed already
                pool = self.stored.pool(data, snr, ctx, model)
                sample = lambda n, g: pool[torch.randperm(len(pool), generator=g, device=dev)[:n]]
            else:
                sample = lambda n, g: data.sample(n, snr, g).to(dev)
            fit_after(sample, torch.Generator(device=dev).manual_seed(derive_seed(tr.seed, "after-training")))
        digests = ctx.gather_objects(ddp.state_digest(model))
        if len(set(digests)) > 1:
            raise RuntimeError(f"DDP ranks ended with different weights (digests {digests})")
        si = len(stages) - 1
        last_epoch = int(history[-1]["epoch"]) if history else 0
        state = dict(si=si, epoch=last_epoch, stage_done=True, finished=True, opt=None,
                     best=None, best_state=None, bad=0)
        if main:
            full = self._state(model, stages, gen=gen, history=history, ctx=ctx, **state)
            full["ddp"] = {"world_size": ctx.world_size, "rank_digests": digests}
            save_checkpoint(final_path, full)
            save_checkpoint(last_path, full)
            write_csv(history, csv_path)
            plot_history(history, png_path, title=f"{cfg.model['family']} ({Path(cfg.source).name})")
        ctx.barrier()
        return TrainResult(self.out, last_path, final_path, csv_path, png_path, True, history, digests)
