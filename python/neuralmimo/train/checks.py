# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Value checks shared by the config and schedule parsers.

Every error is a ValueError of the form "<where>: <value> <why>", where
<where> is the dotted key in the config file (e.g. "train.loss").
"""
from __future__ import annotations

import math


def integer(where: str, value, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where}: {value!r} is not an integer")
    if minimum is not None and value < minimum:
        raise ValueError(f"{where}: {value!r} is less than {minimum}")
    return int(value)


def number(where: str, value, minimum: float | None = None, positive: bool = False,
           maximum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{where}: {value!r} is not a finite number")
    value = float(value)
    if positive and not value > 0:
        raise ValueError(f"{where}: {value!r} is not > 0")
    if minimum is not None and value < minimum:
        raise ValueError(f"{where}: {value!r} is less than {minimum}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{where}: {value!r} is greater than {maximum}")
    return value


def boolean(where: str, value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{where}: {value!r} is not true or false")
    return value


def string(where: str, value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: {value!r} is not a non-empty string")
    return value.strip()


def choice(where: str, value, options) -> str:
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{where}: {value!r} is not one of {', '.join(options)}")
    return value


def table(where: str, value) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: {value!r} is not a table")
    return value


def snr_range(where: str, value) -> tuple[float, float]:
    """An SNR in dB (number) or a [lo, hi] pair with lo <= hi  ->  (lo, hi)."""
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(f"{where}: {value!r} is neither a number nor a [lo, hi] pair")
        lo, hi = number(where, value[0]), number(where, value[1])
        if lo > hi:
            raise ValueError(f"{where}: {list(value)!r} has lo > hi")
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
