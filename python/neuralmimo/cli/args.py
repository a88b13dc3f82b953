# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every command line shares: argument types that refuse bad values before any work,
a parser whose errors are one line, a `command` wrapper that turns a library's ValueError or
OSError into that same one line (exit status 2, no traceback), and outputs written under a
temporary name in their own directory and renamed only when the command succeeds.

The one line is "<command>: <problem>", e.g. "record_loopback: --frames must be >= 1, got 0".
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path

#: the exit status of every refused argument, unreadable input or failed check (argparse's own)
EXIT_USAGE = 2


class CommandError(ValueError):
    """A bad argument or input, reported as one line and exit status 2."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse with its error as a CommandError: the `command` wrapper prints it as one line
    (argparse itself prints the whole usage first, several lines, then exits)."""

    def error(self, message: str):
        # argparse writes "argument --frames: must be ..."; the option name is the subject.
        if message.startswith("argument "):
            name, _, rest = message[len("argument "):].partition(": ")
            # "--frames must be >= 1, got 0", "--out 'x' is a file"; argparse's own: "task: invalid choice"
            message = f"{name} {rest}" if rest.startswith(("must", "'")) else f"{name}: {rest}"
        raise CommandError(f"{message} (see --help)" if "required" in message or "unrecognized" in message
                           else message)


def parser(name: str, doc: str | None) -> ArgumentParser:
    """The parser of `python -m neuralmimo.cli.<name>`, the module docstring as its help."""
    return ArgumentParser(prog=f"python -m neuralmimo.cli.{name}", description=doc,
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def one_line(text: str) -> str:
    """Messages that hold a tool's output (grcc) keep their content on one line."""
    return " ".join(str(text).split())


def command(name: str, distributed: bool = False):
    """Decorator of a command's main(argv) -> int: CommandError, ValueError and OSError become
    "<name>: <problem>" on stderr and exit status 2. Other exceptions are bugs and keep their
    traceback. distributed: the command runs once per torchrun process and only rank 0 (RANK)
    prints the line."""
    def wrap(main):
        @functools.wraps(main)
        def run(argv=None) -> int:
            try:
                return main(argv)
            except (ValueError, OSError) as exc:
                text = str(exc) if isinstance(exc, ValueError) or not exc.filename \
                    else f"{exc.strerror or exc}: '{exc.filename}'"
                if not distributed or int(os.environ.get("RANK", "0")) == 0:
                    print(f"{name}: {one_line(text)}", file=sys.stderr)
                return EXIT_USAGE
        return run
    return wrap


# --- argument types: each raises ArgumentTypeError naming what it wants and what it got --------

def _number(cast, text: str, what: str):
    try:
        return cast(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None


def finite_float(text: str) -> float:
    v = _number(float, text, "a number")
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return v


def _require(value, ok: bool, what: str, text: str):
    """value, or the argparse error "must be <what>, got <text>"."""
    if not ok:
        raise argparse.ArgumentTypeError(f"must be {what}, got {text}")
    return value


def positive_float(text: str) -> float:
    v = finite_float(text)
    return _require(v, v > 0, "> 0", text)


def nonnegative_float(text: str) -> float:
    v = finite_float(text)
    return _require(v, v >= 0, ">= 0", text)


def unit_interval(text: str) -> float:
    """A fraction in (0, 1] (a detection threshold)."""
    v = finite_float(text)
    return _require(v, 0 < v <= 1, "in (0, 1]", text)


def _integer(text: str) -> int:
    # "2e6" is a count people write; it is taken when it is a whole number.
    try:
        return int(text)
    except ValueError:
        pass
    v = _number(float, text, "an integer")
    if not math.isfinite(v) or v != int(v):
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}")
    return int(v)


def positive_int(text: str) -> int:
    v = _integer(text)
    return _require(v, v >= 1, ">= 1", text)


def nonnegative_int(text: str) -> int:
    v = _integer(text)
    return _require(v, v >= 0, ">= 0", text)


def any_int(text: str) -> int:
    return _integer(text)


def snr_range(spec: str) -> list[float]:
    """SNR points in dB: 'start:step:stop' (inclusive, step > 0, start <= stop) or '0,5,10'.
    Never empty, every point finite."""
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) != 3:
            raise argparse.ArgumentTypeError(f"'{spec}' is not start:step:stop")
        start, step, stop = (finite_float(p) for p in parts)
        if step <= 0:
            raise argparse.ArgumentTypeError(f"'{spec}': the step must be > 0, got {parts[1]}")
        if start > stop:
            raise argparse.ArgumentTypeError(f"'{spec}' is empty: start {parts[0]} > stop {parts[2]}")
        n = int(math.floor((stop - start) / step + 1e-9)) + 1
        return [round(start + i * step, 6) for i in range(n)]
    points = [p.strip() for p in spec.split(",")]
    if not all(points):
        raise argparse.ArgumentTypeError(f"'{spec}' is neither start:step:stop nor a comma list of numbers")
    return [finite_float(p) for p in points]


# --- paths ---------------------------------------------------------------------------------------

def existing_file(text: str) -> Path:
    p = Path(text)
    if p.is_dir():
        raise argparse.ArgumentTypeError(f"'{text}' is a directory, not a file")
    if not p.is_file():
        raise argparse.ArgumentTypeError(f"'{text}' not found")
    return p


def _writable_dir(d: Path, text: str) -> None:
    if not d.exists():
        raise argparse.ArgumentTypeError(f"'{text}': directory '{d}' does not exist")
    if not d.is_dir():
        raise argparse.ArgumentTypeError(f"'{text}': '{d}' is not a directory")
    if not os.access(d, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"'{text}': directory '{d}' is not writable")


def output_file(text: str) -> Path:
    """A file to write: its directory exists and is writable, and the path is not a directory."""
    p = Path(text)
    if not text or p.is_dir() or text.endswith(os.sep):
        raise argparse.ArgumentTypeError(f"'{text}' is a directory, not a file name")
    _writable_dir(p.parent, text)
    if p.exists() and not os.access(p, os.W_OK):
        raise argparse.ArgumentTypeError(f"'{text}' is not writable")
    return p


def output_dir(text: str) -> Path:
    """A directory to write into: an existing writable directory, or a new one whose nearest
    existing ancestor is a writable directory (it is created when the work starts)."""
    p = Path(text)
    if p.exists():
        if not p.is_dir():
            raise argparse.ArgumentTypeError(f"'{text}' is a file, not a directory")
        _writable_dir(p, text)
        return p
    parent = p.absolute().parent
    while not parent.exists():
        parent = parent.parent
    _writable_dir(parent, text)
    return p


def output_base(text: str) -> Path:
    """A base name of several files (<base>.csv, <base>.png ...): its directory must exist."""
    p = Path(text)
    if not text or text.endswith(os.sep) or p.name in ("", ".", ".."):
        raise argparse.ArgumentTypeError(f"'{text}' names a directory, not a base file name")
    _writable_dir(p.parent, text)
    return p


# --- writing outputs whole or not at all -----------------------------------------------------

@contextlib.contextmanager
def staged(directory):
    """Yields a new, hidden temporary directory inside `directory` (same file system, so the
    final moves are renames). The command writes its outputs there under their final names;
    when the block ends normally each is renamed into `directory` (replacing an older file or
    directory).
    On any exception, KeyboardInterrupt included, the temporary directory is removed, and so
    are the directories made here for `directory`: an output is written whole or not at all."""
    directory = Path(directory)
    made = [p for p in (directory, *directory.parents) if not p.exists()]
    directory.mkdir(parents=True, exist_ok=True)
    ok = False
    tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=directory))
    try:
        yield tmp
        for f in sorted(tmp.iterdir()):
            target = directory / f.name
            if f.is_dir() and target.is_dir() and not target.is_symlink():
                # A rename cannot replace a non-empty directory (a model's .codec/): the old
                # one moves into the temporary directory first and goes with it.
                target.replace(tmp / f".old-{f.name}")
            f.replace(target)
        ok = True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not ok:
            for d in made:              # deepest first
                with contextlib.suppress(OSError):
                    d.rmdir()
