# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Value checks shared by the config and schedule parsers.

Every error is a ValueError of the form "<where>: <value> <why>", where
<where> is the dotted key in the config file (e.g. "train.loss").
"""
from __future__ import annotations

import math


def _require(ok: bool, where: str, value, why: str):
    """value if ok, else the ValueError "<where>: <value> <why>" every check raises."""
    if not ok:
        raise ValueError(f"{where}: {value!r} {why}")
    return value


def integer(where: str, value, minimum: int | None = None) -> int:
    _require(isinstance(value, int) and not isinstance(value, bool), where, value, "is not an integer")
    return int(_require(minimum is None or value >= minimum, where, value, f"is less than {minimum}"))


def number(where: str, value, minimum: float | None = None, positive: bool = False,
           maximum: float | None = None) -> float:
    _require(isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value),
             where, value, "is not a finite number")
    value = float(value)
    _require(not positive or value > 0, where, value, "is not > 0")
    _require(minimum is None or value >= minimum, where, value, f"is less than {minimum}")
    return _require(maximum is None or value <= maximum, where, value, f"is greater than {maximum}")


def boolean(where: str, value) -> bool:
    return _require(isinstance(value, bool), where, value, "is not true or false")


def string(where: str, value) -> str:
    return _require(isinstance(value, str) and bool(value.strip()), where, value, "is not a non-empty string").strip()


def choice(where: str, value, options) -> str:
    return _require(isinstance(value, str) and value in options, where, value, f"is not one of {', '.join(options)}")


def table(where: str, value) -> dict:
    return _require(isinstance(value, dict), where, value, "is not a table")


def snr_range(where: str, value) -> tuple[float, float]:
    """An SNR in dB (number) or a [lo, hi] pair with lo <= hi  ->  (lo, hi)."""
    if isinstance(value, (list, tuple)):
        _require(len(value) == 2, where, value, "is neither a number nor a [lo, hi] pair")
        lo, hi = number(where, value[0]), number(where, value[1])
        _require(lo <= hi, where, list(value), "has lo > hi")
        return lo, hi
    v = number(where, value)
    return v, v


class Keys:
    """Reads the keys of one config table and rejects the ones nobody read.

    get(key, default, check): check(where, value) -> value; default REQUIRED
    makes the key mandatory. finish() raises on unknown keys.
    """

    REQUIRED = object()

    def __init__(self, values: dict, where: str):
        self.values = table(where, values)
        self.where = where
        self.used: set = set()

    def name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def get(self, key: str, default, check=None):
        self.used.add(key)
        if key not in self.values:
            if default is Keys.REQUIRED:
                raise ValueError(f"{self.name(key)}: missing (required)")
            return default
        value = self.values[key]
        return check(self.name(key), value) if check else value

    def finish(self) -> None:
        unknown = [k for k in self.values if k not in self.used]
        if unknown:
            allowed = ", ".join(sorted(self.used)) or "none"
            raise ValueError(f"{self.name(unknown[0])}: unknown key (value {self.values[unknown[0]]!r}; "
                             f"allowed: {allowed})")
