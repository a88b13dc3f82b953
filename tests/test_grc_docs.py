"""Every GRC block description (grc/*.block.yml) documents itself for a GRC user.

For each block YAML this checks that the ``documentation`` field exists and
- names every parameter by its GRC label (case-insensitive, as a whole word or phrase; for a
  label such as "Tx streams (Nt)" the text before the parenthesis is enough),
- names every input and output port by its label (a templated label such as
  ${ 'llr' if ... else 'latent' }: each quoted name; ${ output }: not checked),
- says what bad input does (one of: error, raises, invalid, erased, NaN).
"""
import glob
import os
import re

import pytest
import yaml

GRC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "grc")
BLOCK_FILES = sorted(glob.glob(os.path.join(GRC_DIR, "*.block.yml")))
BAD_INPUT_WORDS = ("error", "raises", "invalid", "erased", "nan")


def names(doc: str, label: str) -> bool:
    """Whether doc names label, in full or by its text before '(' (whole words, any case)."""
    short = label.split("(")[0].strip()
    return any(re.search(rf"(?<!\w){re.escape(text)}(?!\w)", doc, re.I) for text in (label.strip(), short) if text)


def port_labels(port: dict) -> list:
    label = str(port.get("label", ""))
    return re.findall(r"'([^']+)'", label) if "${" in label else [label]


def test_blocks_found():
    assert len(BLOCK_FILES) > 0, f"no *.block.yml in {GRC_DIR}"


@pytest.mark.parametrize("path", BLOCK_FILES, ids=os.path.basename)
def test_documentation(path):
    with open(path) as f:
        block = yaml.safe_load(f)
    doc = block.get("documentation")
    assert isinstance(doc, str) and doc.strip(), "no documentation"
    for param in block.get("parameters", []):
        assert names(doc, param["label"]), f"parameter {param['label']!r} not documented"
    for port in block.get("inputs", []) + block.get("outputs", []):
        for label in port_labels(port):
            assert names(doc, label), f"port {label!r} not documented"
    assert any(word in doc.lower() for word in BAD_INPUT_WORDS), "bad-input behaviour not documented"
