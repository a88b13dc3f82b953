# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Training configuration: TOML file (stdlib tomllib) -> validated TrainConfig.

TOML rather than YAML because tomllib is in the standard library of every
Python the project runs on (3.11+), and a training machine need not have PyYAML.

    [model]                      family + the family's constructor keywords
    family = "toy"               (nt, nr, constellation come from [data])
    n_layers = 3

    [data]
    nt = 4                       transmit streams
    nr = 8                       receive antennas
    constellation = "qpsk"       bpsk, qpsk, qam16, qam64, qam256
    channel = "rayleigh"         phy.make_channel spec, e.g. "rayleigh:var=1/nt", "kron:r=0.5"
    snr_convention = "rx"        phy.snr convention name (rx, detnet, lcgnet, remimo, hypermimo, eqnet)
    batch = 256                  vectors per step and process (per GPU under DDP)
    nt_min = 16                  a variable Nt (family remimo): each batch draws one Nt from
    nt_step = 1                    nt_min, nt_min + nt_step, …, nt (nt_step 2: even Nt only)
    nt_law = "linear"            P(Nt) ∝ Nt (the RE-MIMO authors' draw) or "uniform"
    snr_db_per_stream = 0.3125   a batch's SNR range is the stage's moved by (Nt − nt)·this dB
    pool = 0                     0: fresh vectors every step; N: a fixed pool of N vectors per SNR
                                   range drawn once from the seed, batches drawn from it, and the
                                   family's teacher targets (EQ-Net's exact-ML soft bits) computed once

    [train]
    seed = 0
    device = "cpu"               cpu, cuda, cuda:N, auto (cuda when available)
    loss = "mse"                 mse, nmse, bce, detnet, ce, eqnet (see losses.py)
    steps_per_epoch = 100
    validation_vectors = 10000
    validation_snr_db = "stage"  "stage" (each stage's own range), a number, or [lo, hi]
    optimizer = "adam"
    grad_clip = 0.0              max gradient norm, 0 = off
    out = "runs/toy"             output directory (default runs/<config file stem>)
    stage_checkpoints = false    keep the weights of every stage's end in <out>/stages/ (e.g. the
                                 1..L-layer networks of layer-wise growth)
    init_from = ""               a trainer checkpoint whose weights (the keys this model shares with
                                 it, same shapes) replace the initial ones: fine-tuning, or a
                                 quantised model starting from the trained unquantised one

    [schedule]
    name = "layerwise"           fixed, stages, layerwise (+ the schedule's keys, schedules.py)

Every key is checked; an unknown key or a bad value raises ValueError naming
the dotted key and the value. Command-line overrides ``section.key=value``
take a TOML value (``train.steps_per_epoch=10``, ``schedule.snr_curriculum_db=[[5, 15]]``)
or, when that does not parse as TOML, the plain string (``data.channel=kron:r=0.5``).
"""
from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..export.onnx_export import config_hash
from ..phy.channels import make_channel
from ..phy.constellation import constellation as _lookup
from ..phy.snr import snr_conventions
from .checks import Keys, boolean, choice, integer, number, snr_range, string
from .schedules import Stage, build_stages

SECTIONS = ("model", "data", "train", "schedule")
LOSS_NAMES = ("mse", "nmse", "bce", "detnet", "ce", "eqnet")
OPTIMIZERS = ("adam",)
#: Keys that do not change what is learned: left out of the config hash, and free to
#: change on --resume (e.g. resume a CPU run on a GPU, or from a moved directory).
UNHASHED = (("train", "out"), ("train", "device"))
VARIABLE_NT_KEYS = ("nt_min", "nt_step", "nt_law", "snr_db_per_stream")
#: [data] keys written into the resolved config (and its hash) only when set, so that the
#: configs that do not use them keep their hashes.
OPTIONAL_DATA_KEYS = {"pool": 0}
NT_LAWS = ("linear", "uniform")


@dataclass(frozen=True)
class DataConfig:
    nt: int
    nr: int
    constellation: str
    channel: str
    snr_convention: str
    batch: int
    # A variable number of streams (RE-MIMO): each batch draws its own Nt from nt_values with the
    # weights of nt_law, and its SNR range moves by (Nt − nt)·snr_db_per_stream dB.
    nt_min: int = 0                 # 0: nt (a fixed Nt)
    nt_step: int = 1
    nt_law: str = "linear"
    snr_db_per_stream: float = 0.0
    # A fixed training pool of this many vectors per SNR range, drawn once from the seed (0: fresh
    # batches at every step); for stored-dataset recipes and expensive per-vector targets.
    pool: int = 0

    @property
    def nt_values(self) -> tuple:
        """The Nt a batch can have: nt_min, nt_min + nt_step, …, nt."""
        return tuple(range(self.nt_min or self.nt, self.nt + 1, self.nt_step))

    @property
    def variable_nt(self) -> bool:
        return len(self.nt_values) > 1


@dataclass(frozen=True)
class TrainSettings:
    seed: int
    device: str
    loss: str
    steps_per_epoch: int
    validation_vectors: int
    validation_snr_db: tuple | None      # None: each stage's own range
    optimizer: str
    grad_clip: float                     # 0: off
    out: str
    stage_checkpoints: bool = False      # also keep <out>/stages/<index>-<name>.pt at every stage end
    init_from: str = ""                  # checkpoint whose matching weights start the run ("" = none)


@dataclass(frozen=True)
class TrainConfig:
    """A validated configuration.

    resolved: the full config as a dict with every default filled in (JSON-able;
    stored in checkpoints); model: [model] table; data, train: typed sections;
    schedule: [schedule] table; stages: the schedule's stages; source: file or "<dict>".
    """

    resolved: dict
    model: dict
    data: DataConfig
    train: TrainSettings
    schedule: dict
    stages: tuple
    source: str

    @property
    def hash(self) -> str:
        """16 hex digits over the resolved config without the UNHASHED keys."""
        d = copy.deepcopy(self.resolved)
        for section, key in UNHASHED:
            d[section].pop(key, None)
        return config_hash(d)

    def model_config(self) -> dict:
        """The model's from_config() dict: family, nt, nr, constellation and the [model] keywords."""
        cfg = dict(self.model)
        cfg.update(nt=self.data.nt, nr=self.data.nr, constellation=self.data.constellation)
        if self.data.variable_nt:
            cfg["nt_min"] = self.data.nt_min
        return cfg

    def build_model(self):
        from ..models import FAMILIES

        return FAMILIES[self.model["family"]].from_config(self.model_config())

    def training_snr_db(self) -> list:
        """Distinct training SNR ranges [lo, hi] in schedule order."""
        out: list = []
        for s in self.stages:
            if list(s.snr_db) not in out:
                out.append(list(s.snr_db))
        return out


def toml_value(raw: str):
    """The value of a command-line 'key=value': a TOML value (10, 0.5, true, [1, 2], "x"), or the
    plain string when it does not parse as one (kron:r=0.5)."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw.strip()


def parse_override(text: str) -> tuple[list[str], object]:
    """'section.key=value' -> (["section", "key"], value). ValueError if malformed."""
    key, sep, raw = text.partition("=")
    parts = [p.strip() for p in key.split(".")]
    if not sep or len(parts) < 2 or not all(parts):
        raise ValueError(f"--set: {text!r} is not section.key=value")
    return parts, toml_value(raw)


def apply_overrides(cfg: dict, overrides) -> dict:
    cfg = copy.deepcopy(cfg)
    for item in overrides:
        parts, value = parse_override(item) if isinstance(item, str) else item
        node = cfg
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ValueError(f"--set: {'.'.join(parts)}: {p} is not a table")
        node[parts[-1]] = value
    return cfg


def load_config(path, overrides=()) -> TrainConfig:
    """Read a TOML config file, apply ``overrides`` ('section.key=value' strings), validate."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"config: file '{path}' not found")
    try:
        raw = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"config: '{path}' is not valid TOML ({exc})") from None
    return config_from_dict(apply_overrides(raw, overrides), source=str(path),
                            default_out=str(Path("runs") / path.stem))


def config_from_dict(cfg: dict, source: str = "<dict>", default_out: str = "runs/train") -> TrainConfig:
    """Validate a config dict (the parsed TOML) -> TrainConfig."""
    if not isinstance(cfg, dict):
        raise ValueError(f"config: {cfg!r} is not a table")
    unknown = [k for k in cfg if k not in SECTIONS]
    if unknown:
        raise ValueError(f"config: unknown section [{unknown[0]}] (allowed: {', '.join(SECTIONS)})")
    for s in SECTIONS:
        if s not in cfg:
            raise ValueError(f"config: section [{s}] missing")
    data = _data(cfg["data"])
    model = _model(cfg["model"], data)
    train = _train(cfg["train"], default_out)
    stages = build_stages(cfg["schedule"], model.n_layers)
    _check_outputs(model, train.loss)
    _check_stages(stages, model, data, train.loss)
    resolved = {
        "model": dict(cfg["model"]),
        # the variable-Nt keys only when used, so fixed-Nt configs keep their hashes
        "data": {k: getattr(data, k) for k in DataConfig.__dataclass_fields__
                 if (data.variable_nt or k not in VARIABLE_NT_KEYS)
                 and getattr(data, k) != OPTIONAL_DATA_KEYS.get(k, object())},
        "train": {k: getattr(train, k) for k in TrainSettings.__dataclass_fields__},
        "schedule": copy.deepcopy(cfg["schedule"]),
    }
    vs = resolved["train"]["validation_snr_db"]
    resolved["train"]["validation_snr_db"] = "stage" if vs is None else list(vs)
    return TrainConfig(resolved, dict(cfg["model"]), data, train, dict(cfg["schedule"]), tuple(stages),
                       source)


def _data(values) -> DataConfig:
    k = Keys(values, "data")
    nt = k.get("nt", Keys.REQUIRED, lambda w, v: integer(w, v, 1))
    nr = k.get("nr", Keys.REQUIRED, lambda w, v: integer(w, v, 1))

    def const(where, v):
        try:
            return _lookup(string(where, v)).name
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None

    def channel(where, v):
        try:
            make_channel(string(where, v), nr, nt)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        return v.strip()

    d = DataConfig(
        nt=nt, nr=nr,
        constellation=k.get("constellation", Keys.REQUIRED, const),
        channel=k.get("channel", "rayleigh", channel),
        snr_convention=k.get("snr_convention", "rx", lambda w, v: choice(w, v, snr_conventions())),
        batch=k.get("batch", 256, lambda w, v: integer(w, v, 1)),
        nt_min=k.get("nt_min", nt, lambda w, v: integer(w, v, 1)),
        nt_step=k.get("nt_step", 1, lambda w, v: integer(w, v, 1)),
        nt_law=k.get("nt_law", "linear", lambda w, v: choice(w, v, NT_LAWS)),
        snr_db_per_stream=k.get("snr_db_per_stream", 0.0, number),
        pool=k.get("pool", 0, lambda w, v: integer(w, v, 0)),
    )
    k.finish()
    if d.pool and d.pool < d.batch:
        raise ValueError(f"data.pool: {d.pool} vectors is fewer than one batch ({d.batch}); use 0 for "
                         "fresh batches or a pool of at least data.batch vectors")
    if d.pool and d.variable_nt:
        raise ValueError("data.pool: a training pool needs a fixed Nt (data.nt_min is set); use 0")
    if d.nt_min > nt:
        raise ValueError(f"data.nt_min: {d.nt_min} is above data.nt = {nt} (the range is nt_min..nt)")
    if (nt - d.nt_min) % d.nt_step:
        raise ValueError(f"data.nt_step: {d.nt_step} does not lead from nt_min = {d.nt_min} to nt = {nt}")
    return d


def _model(values, data: DataConfig):
    from ..models import FAMILIES
    from ..models.base import TrainableDetector, constructor_arguments

    k = Keys(values, "model")
    family = k.get("family", Keys.REQUIRED, string)
    if family not in FAMILIES:
        raise ValueError(f"model.family: {family!r} is not one of {', '.join(FAMILIES)}")
    cls = FAMILIES[family]
    if not issubclass(cls, TrainableDetector):
        trainable = [f for f, c in FAMILIES.items() if issubclass(c, TrainableDetector)]
        raise ValueError(f"model.family: {family!r} is not trainable (trainable: {', '.join(trainable)})")
    for key in ("nt", "nr", "constellation", "nt_min"):
        if key in k.values:
            raise ValueError(f"model.{key}: {k.values[key]!r} belongs in [data], not [model]")
    accepted = constructor_arguments(cls)
    if data.variable_nt and "nt_min" not in accepted:
        variable = [f for f, c in FAMILIES.items() if "nt_min" in constructor_arguments(c)]
        raise ValueError(f"data.nt_min: family {family!r} detects a fixed Nt; a range "
                         f"{data.nt_min}..{data.nt} needs a variable-Nt family ({', '.join(variable)})")
    allowed = accepted - {"nt", "nr", "constellation", "nt_min"}
    for key in allowed:
        k.get(key, None)
    k.finish()
    cfg = {"family": family, **{kk: v for kk, v in values.items() if kk != "family"},
           "nt": data.nt, "nr": data.nr, "constellation": data.constellation}
    if data.variable_nt:
        cfg["nt_min"] = data.nt_min
    try:
        return cls.from_config(cfg)
    except ValueError as exc:
        raise ValueError(f"model: {exc}") from None
    except TypeError as exc:   # e.g. a missing required constructor argument
        raise ValueError(f"model: family '{family}': {exc}") from None


def _train(values, default_out: str) -> TrainSettings:
    k = Keys(values, "train")

    def device(where, v):
        v = string(where, v)
        if v in ("cpu", "cuda", "auto") or (v.startswith("cuda:") and v[5:].isdigit()):
            return v
        raise ValueError(f"{where}: {v!r} is not one of cpu, cuda, cuda:N, auto")

    def val_snr(where, v):
        return None if v == "stage" else snr_range(where, v)

    t = TrainSettings(
        seed=k.get("seed", 0, lambda w, v: integer(w, v, 0)),
        device=k.get("device", "cpu", device),
        loss=k.get("loss", "mse", lambda w, v: choice(w, v, LOSS_NAMES)),
        steps_per_epoch=k.get("steps_per_epoch", 100, lambda w, v: integer(w, v, 1)),
        validation_vectors=k.get("validation_vectors", 10000, lambda w, v: integer(w, v, 1)),
        validation_snr_db=k.get("validation_snr_db", None, val_snr),
        optimizer=k.get("optimizer", "adam", lambda w, v: choice(w, v, OPTIMIZERS)),
        grad_clip=k.get("grad_clip", 0.0, lambda w, v: number(w, v, minimum=0.0)),
        out=k.get("out", default_out, string),
        stage_checkpoints=k.get("stage_checkpoints", False, boolean),
        init_from=k.get("init_from", "", string),
    )
    k.finish()
    return t


def _check_stages(stages: list[Stage], model, data: DataConfig, loss: str) -> None:
    """Every stage's group and settings must be valid for the model, and some parameter of
    the group must get a gradient from the loss (checked on this instance, two vectors)."""
    import torch

    from .data import DataSource
    from .losses import LOSSES

    b = DataSource(data).sample(2, (10.0, 10.0), torch.Generator().manual_seed(0))
    for i, s in enumerate(stages):
        where = f"schedule stage {i + 1} '{s.name}'"
        try:
            model.active_layers = s.active_layers
            model.apply_settings(**s.settings)
            params = model.parameter_group(s.group)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        if not params:
            raise ValueError(f"{where}: parameter group '{s.group}' has no parameters at "
                             f"active_layers = {s.active_layers}")
        with torch.enable_grad():   # whatever the caller's autograd mode
            value = LOSSES[loss](model.forward_train(b.y, b.h, b.noise_var), b.x, b.bits)
            grads = torch.autograd.grad(value, params, allow_unused=True)
        if all(g is None for g in grads):
            raise ValueError(f"{where}: no parameter of group '{s.group}' gets a gradient from "
                             f"train.loss = '{loss}'")


def _check_outputs(model, loss: str) -> None:
    """forward_train must give what the loss and the validation need, with the contract shapes."""
    import torch

    from ..export.onnx_export import random_inputs

    model.active_layers = model.n_layers
    y, h, nv = random_inputs(model.nt, model.nr, model.constellation, 2, 0)
    with torch.no_grad():
        out = model.forward_train(y, h, nv)
    need = {"estimate": (2, model.nt, 2)}
    if loss == "bce":
        need["llr"] = (2, model.nt, model.constellation.bits_per_symbol)
    for key, shape in need.items():
        if key not in out:
            why = f"train.loss: {loss!r} needs" if key == "llr" else "validation NMSE needs"
            raise ValueError(f"{why} '{key}' from the model's forward_train (it gives: {', '.join(out)})")
        if tuple(out[key].shape) != shape:
            raise ValueError(f"model: forward_train '{key}' has shape {tuple(out[key].shape)}, expected {shape}")
