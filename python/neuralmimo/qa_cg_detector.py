#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""C++ cg_detector block: enough classical CG iterations give LMMSE, learned steps equal the
library's LcgNet in float64, the LLR variance is right statistically, quantised steps are used
exactly, held channels and threads, steps files, GRC; its own constructor errors.

The contract every detector block meets (classical CG outputs equal nm.detector("cg"), invalid
items, vlen, constructor errors) is checked in qa_detector_blocks.py."""
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import yaml
from gnuradio import gr_unittest

import neuralmimo as nm
from neuralmimo.cg_steps import load_cg_steps
from neuralmimo.qa_common import CG_SYSTEMS, random_system, run_detector_block

os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "error")


def lcg_reference(y, h, nv, alpha, beta, const):
    """The library's LcgNet (variant V) in float64 with the given steps: the reference of the
    block's learned mode. alpha, beta: [L, 2Nt]; y complex[B,Nr], h complex[B,Nr,Nt], nv [B].
    Returns (estimate complex128[B,Nt], llr float64[B,Nt*K])."""
    import torch

    from neuralmimo.models.lcgnet import LcgNet

    b, nr, nt = h.shape
    model = LcgNet(nt, nr, const, layers=len(alpha), variant="V")
    model.set_steps(np.asarray(alpha, np.float64), np.asarray(beta, np.float64))
    model = model.double().eval()
    ri = lambda a: torch.from_numpy(np.stack([a.real, a.imag], -1).astype(np.float64))
    with torch.no_grad():
        llr, est = model(ri(y), ri(h), torch.from_numpy(np.asarray(nv, np.float64)))
    est = est.numpy()
    return est[..., 0] + 1j * est[..., 1], llr.numpy().reshape(b, -1).clip(-100.0, 100.0)  # LLR_LIMIT


def sensible_steps(rng, layers, nt, nr, variant="V"):
    """Random steps below 2/λmax(A) (λmax ≈ (√Nr + √Nt)² <= 2(Nr + Nt)), small beta: [L, 2Nt]."""
    width = 2 * nt if variant == "V" else 1
    alpha = rng.uniform(0.3, 1.0, (layers, width)) / (nr + nt)
    beta = rng.uniform(0.0, 0.3, (layers, width))
    return (np.broadcast_to(alpha, (layers, 2 * nt)).astype(np.float32),
            np.broadcast_to(beta, (layers, 2 * nt)).astype(np.float32))


def steps_json(alpha, beta, nt, variant="V", quantization=None):
    return {"family": "lcgnet", "variant": variant, "nt": nt, "layers": len(alpha),
            "alpha": np.asarray(alpha, np.float64).tolist(), "beta": np.asarray(beta, np.float64).tolist(),
            "quantization": quantization}


class qa_cg_detector(gr_unittest.TestCase):
    def test_classical_with_enough_iterations_equals_lmmse(self):
        rng = np.random.default_rng(12)
        for const, nr, nt in (("qam16", 4, 4), ("qam64", 6, 3), ("bpsk", 8, 4)):
            c = nm.constellation(const)
            y, h, _ = random_system(rng, 300, nr, nt, c, 0.2)
            nv = rng.uniform(0.1, 1.0, 300).astype(np.float32)
            ref = nm.detector("lmmse", constellation=const)(y.astype(np.complex128), h.astype(np.complex128), nv)
            est = run_detector_block(nm.cg_detector(nt, nr, const, "estimate", 2 * nt, form="real"),
                                     y, h, nv, np.complex64, nt)
            np.testing.assert_allclose(est, ref.estimate, atol=1e-4, err_msg=const)
            llr = run_detector_block(nm.cg_detector(nt, nr, const, "llr", 2 * nt, form="real"),
                                     y, h, nv, np.float32, nt * c.bits_per_symbol)
            np.testing.assert_allclose(llr, ref.llr.reshape(300, -1).clip(-100, 100), rtol=2e-3, atol=2e-3, err_msg=const)

    def test_learned_equals_lcgnet(self):
        rng = np.random.default_rng(13)
        for const, nr, nt in CG_SYSTEMS + (("qam16", 4, 4),):
            c = nm.constellation(const)
            k = c.bits_per_symbol
            layers = 5
            alpha, beta = sensible_steps(rng, layers, nt, nr)
            y, h, _ = random_system(rng, 300, nr, nt, c, 0.1)
            nv = rng.uniform(0.02, 1.0, 300).astype(np.float32)
            est_ref, llr_ref = lcg_reference(y, h, nv, alpha, beta, c)
            kw = dict(alpha=alpha.ravel().tolist(), beta=beta.ravel().tolist())
            msg = f"{const} {nr}x{nt}"
            est = run_detector_block(nm.cg_detector(nt, nr, const, "estimate", layers, **kw),
                                     y, h, nv, np.complex64, nt)
            np.testing.assert_allclose(est, est_ref, atol=1e-4, err_msg=msg)
            llr = run_detector_block(nm.cg_detector(nt, nr, const, "llr", 0, **kw),
                                     y, h, nv, np.float32, nt * k)
            np.testing.assert_allclose(llr, llr_ref, rtol=2e-3, atol=2e-3, err_msg=msg)
            sym = run_detector_block(nm.cg_detector(nt, nr, const, "symbols", 0, **kw),
                                     y, h, nv, np.complex64, nt)
            want = c.points[((llr_ref.reshape(300, nt, k) > 0) * (1 << np.arange(k - 1, -1, -1))).sum(-1)]
            self.assertGreater(np.mean(np.abs(sym - want) < 1e-5), 0.999, msg)
            bits = run_detector_block(nm.cg_detector(nt, nr, const, "bits", 0, **kw),
                                      y, h, nv, np.uint8, nt * k)
            self.assertGreater(np.mean(bits == (llr_ref > 0)), 0.999, msg)

    def test_llr_variance_is_right_statistically(self):
        """Fixed H, many (x, n) draws. QPSK LLRs are linear in z: LLR_k = -2c s_k / (μ_k ν_k), so the
        block's μ_k ν_k is read off its LLRs; μ_k and ν_k are also measured by regressing s_k on x_k.
        The sample variance of a variable has a relative standard deviation near sqrt(2/N)."""
        rng = np.random.default_rng(14)
        c = nm.constellation("qpsk")
        cc = 1 / np.sqrt(2)
        nt, nr, n_draws = 3, 4, 40000
        h1 = ((rng.standard_normal((nr, nt)) + 1j * rng.standard_normal((nr, nt))) / np.sqrt(2))
        alpha, beta = sensible_steps(rng, 3, nt, nr)
        kw = dict(alpha=alpha.ravel().tolist(), beta=beta.ravel().tolist())
        for label, make in (("learned", lambda o: nm.cg_detector(nt, nr, "qpsk", o, 3, **kw)),
                            ("classical", lambda o: nm.cg_detector(nt, nr, "qpsk", o, nt))):
            nv = 0.3
            idx = rng.integers(0, 4, (n_draws, nt))
            x = c.points.astype(np.complex128)[idx]
            h = np.broadcast_to(h1, (n_draws, nr, nt))
            noise = (rng.standard_normal((n_draws, nr)) + 1j * rng.standard_normal((n_draws, nr))) * np.sqrt(nv / 2)
            y = (np.einsum("brt,bt->br", h, x) + noise).astype(np.complex64)
            h = h.astype(np.complex64)
            nvs = np.full(n_draws, nv, np.float32)
            s = run_detector_block(make("estimate"), y, h, nvs, np.complex64, nt)
            llr = run_detector_block(make("llr"), y, h, nvs, np.float32, 2 * nt).reshape(n_draws, nt, 2)
            for part, take in ((0, np.real), (1, np.imag)):
                sk, xk, lk = take(s).astype(np.float64), take(x), llr[..., part].astype(np.float64)
                mu_hat = (sk * xk).mean(0) / (xk * xk).mean(0)
                nu_hat = (sk - mu_hat * xk).var(0) / mu_hat ** 2
                mu_nu_block = np.median(-2 * cc * sk / lk, axis=0)
                tol = 6 * np.sqrt(2 / n_draws)
                np.testing.assert_allclose(mu_nu_block / (mu_hat * nu_hat), 1.0, atol=tol,
                                           err_msg=f"{label} part {part}")

    def test_quantised_steps_are_used_exactly(self):
        """Steps on a grid of multiples of 2^-6 (exact in float32) from a steps file with
        quantisation levels; the block equals the float64 reference to float32 rounding."""
        rng = np.random.default_rng(15)
        c = nm.constellation("qam16")
        nt, nr, layers = 4, 8, 4
        levels = np.arange(-2, 6) / 64.0
        alpha = rng.choice(levels[3:], (layers, 2 * nt))
        beta = rng.choice(levels, (layers, 2 * nt))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "steps.json"
            path.write_text(json.dumps(steps_json(alpha, beta, nt, quantization={
                "bits": 3, "kind": "hard", "levels": levels.tolist()})))
            a, b, l_ = load_cg_steps(path, nt)
        self.assertEqual(l_, layers)
        self.assertEqual(a, alpha.ravel().tolist())      # the grid values, bit for bit
        y, h, _ = random_system(rng, 200, nr, nt, c, 0.1)
        nv = np.full(200, 0.1, np.float32)
        est_ref, llr_ref = lcg_reference(y, h, nv, alpha, beta, c)
        est = run_detector_block(nm.cg_detector(nt, nr, "qam16", "estimate", 0, a, b), y, h, nv, np.complex64, nt)
        np.testing.assert_allclose(est, est_ref, atol=2e-5)
        llr = run_detector_block(nm.cg_detector(nt, nr, "qam16", "llr", 0, a, b), y, h, nv, np.float32, 4 * nt)
        np.testing.assert_allclose(llr, llr_ref, rtol=2e-3, atol=2e-3)

    def test_held_channel_and_threads(self):
        """H held for 14 items (cached set-up) and 2 internal threads give the same outputs as 1."""
        rng = np.random.default_rng(16)
        c = nm.constellation("qam16")
        n = 14 * 300
        y, h, _ = random_system(rng, n, 4, 4, c, 0.2)
        h = np.repeat(h[::14], 14, axis=0)
        y = np.einsum("brt,bt->br", h, c.points[rng.integers(0, 16, (n, 4))]).astype(np.complex64)
        nv = np.full(n, 0.2, np.float32)
        alpha, beta = sensible_steps(rng, 4, 4, 4)
        kw = dict(alpha=alpha.ravel().tolist(), beta=beta.ravel().tolist())
        _, llr_ref = lcg_reference(y, h, nv, alpha, beta, c)
        outs = []
        for threads in (1, 2):
            blk = nm.cg_detector(4, 4, "qam16", "llr", 4, threads=threads, **kw)
            outs.append(run_detector_block(blk, y, h, nv, np.float32, 16, buffer_items=4096))
        np.testing.assert_allclose(outs[0], llr_ref, rtol=2e-3, atol=2e-3)
        np.testing.assert_array_equal(outs[0], outs[1])
        for threads in (1, 2):
            blk = nm.cg_detector(4, 4, "qam16", "llr", 4, form="real", threads=threads)
            outs.append(run_detector_block(blk, y, h, nv, np.float32, 16, buffer_items=4096))
        np.testing.assert_array_equal(outs[2], outs[3])

    def test_learned_steps_erase_invalid_items(self):
        rng = np.random.default_rng(17)
        c = nm.constellation("qam16")
        y, h, _ = random_system(rng, 50, 4, 4, c, 0.1)
        nv = np.full(50, 0.1, np.float32)
        nv[2], nv[5] = np.nan, -0.5  # noise_var 0 is valid (floored), NaN and < 0 are not
        y[7, 0] = np.nan
        h[9, 1, 1] = np.inf
        h[11, 0, 2] = np.nan
        bad = [2, 5, 7, 9, 11]
        good = np.setdiff1d(np.arange(50), bad)
        alpha, beta = sensible_steps(rng, 3, 4, 4)
        blk = nm.cg_detector(4, 4, "qam16", "llr", 3, alpha.ravel().tolist(), beta.ravel().tolist())
        got = run_detector_block(blk, y, h, nv, np.float32, 16)
        self.assertTrue(np.all(got[bad] == 0))
        self.assertEqual(blk.invalid_items(), len(bad))
        self.assertTrue(np.all(np.isfinite(got)))
        _, ref = lcg_reference(y[good], h[good], nv[good], alpha, beta, c)
        np.testing.assert_allclose(got[good], ref, rtol=2e-3, atol=2e-3)

    def test_configuration_errors(self):
        a16 = [0.1] * 16
        with self.assertRaisesRegex(ValueError, "alpha has 12 values.*2Nt = 8"):
            nm.cg_detector(4, 4, "qam16", "llr", 0, [0.1] * 12, [0.1] * 12)
        with self.assertRaisesRegex(ValueError, "alpha has 16 values but beta has 8"):
            nm.cg_detector(4, 4, "qam16", "llr", 0, a16, [0.1] * 8)
        with self.assertRaisesRegex(ValueError, "iterations = 3.*L = 2"):
            nm.cg_detector(4, 4, "qam16", "llr", 3, a16, a16)
        with self.assertRaisesRegex(ValueError, "iterations = 0"):
            nm.cg_detector(4, 4, "qam16", "llr", 0)
        with self.assertRaisesRegex(ValueError, "nt = 5.*nr = 4"):
            nm.cg_detector(5, 4, "qam16", "llr", 4)
        with self.assertRaisesRegex(ValueError, "form 'polar'"):
            nm.cg_detector(4, 4, "qam16", "llr", 4, form="polar")
        with self.assertRaisesRegex(ValueError, "threads = 0"):
            nm.cg_detector(4, 4, "qam16", "llr", 4, threads=0)
        with self.assertRaisesRegex(ValueError, r"alpha\[3\]"):
            nm.cg_detector(4, 4, "qam16", "llr", 2, a16[:3] + [float("nan")] + a16[4:], a16)

    def test_load_cg_steps(self):
        rng = np.random.default_rng(18)
        alpha, beta = sensible_steps(rng, 3, 2, 4)
        with tempfile.TemporaryDirectory() as tmp:
            def write(name, obj):
                p = Path(tmp) / name
                p.write_text(obj if isinstance(obj, str) else json.dumps(obj))
                return p

            good = steps_json(alpha, beta, 2)
            a, b, layers = load_cg_steps(write("steps.json", good), 2)
            self.assertEqual(layers, 3)
            np.testing.assert_array_equal(np.float32(a), alpha.ravel())
            np.testing.assert_array_equal(np.float32(b), beta.ravel())
            manifest = {"family": "lcgnet", "nt": 2, "nr": 4, "constellation": "qpsk", "steps": good}
            self.assertEqual(load_cg_steps(write("model.json", manifest), 2), (a, b, layers))
            scalar = steps_json(np.repeat(alpha[:, :1], 4, 1), np.repeat(beta[:, :1], 4, 1), 2, variant="S")
            self.assertEqual(load_cg_steps(write("s.json", scalar), 2)[2], 3)

            p = write("steps4.json", good)
            with self.assertRaisesRegex(ValueError, f"{p.name}.*Nt = 2.*Nt = 4"):
                load_cg_steps(p, 4)
            ragged = dict(good, alpha=[list(r) for r in alpha.astype(float)])
            ragged["alpha"][1] = ragged["alpha"][1][:3]
            with self.assertRaisesRegex(ValueError, r"ragged.json.*alpha\[1\].*4 values.*got 3"):
                load_cg_steps(write("ragged.json", ragged), 2)
            short = dict(good, beta=good["beta"][:2])
            with self.assertRaisesRegex(ValueError, "beta: expected 3 rows"):
                load_cg_steps(write("short.json", short), 2)
            nan = json.dumps(good).replace(str(good["alpha"][0][1]), "NaN", 1)
            with self.assertRaisesRegex(ValueError, r"nan.json.*alpha\[0\]\[1\].*not a finite number"):
                load_cg_steps(write("nan.json", nan), 2)
            missing = {k: v for k, v in good.items() if k != "beta"}
            with self.assertRaisesRegex(ValueError, "missing.json.*missing key.*beta"):
                load_cg_steps(write("missing.json", missing), 2)
            with self.assertRaisesRegex(ValueError, "variant S needs one value"):
                load_cg_steps(write("s_bad.json", dict(good, variant="S")), 2)
            with self.assertRaisesRegex(ValueError, "quantisation levels"):
                load_cg_steps(write("q.json", dict(good, quantization={"bits": 3, "levels": [0.0, 0.5]})), 2)
            with self.assertRaisesRegex(ValueError, "family 'detnet'"):
                load_cg_steps(write("f.json", dict(good, family="detnet")), 2)
            with self.assertRaisesRegex(ValueError, "nothere.json.*cannot read"):
                load_cg_steps(Path(tmp) / "nothere.json", 2)

    def test_grc_block_compiles_both_step_modes(self):
        from neuralmimo.cli.grc_run import compile_grc, load_top_block

        rng = np.random.default_rng(19)
        alpha, beta = sensible_steps(rng, 2, 2, 2)
        with tempfile.TemporaryDirectory() as tmp:
            steps = Path(tmp) / "steps.json"
            steps.write_text(json.dumps(steps_json(alpha, beta, 2)))
            grc = Path(tmp) / "cg_grc.grc"
            grc.write_text(_grc_flowgraph(steps))
            py = compile_grc(grc, tmp)
            tb = load_top_block(py).cg_grc()
            tb.run()
            self.assertEqual(len(tb.sink_file.data()), 2 * 2 * 4)
            self.assertEqual(len(tb.sink_cg.data()), 2 * 2 * 4)


def _grc_flowgraph(steps_file) -> str:
    """GRC YAML of two cg_detector blocks, "det_file" with file steps and "det_cg" with computed steps,
    fed from one set of sources (y, H, σ²), each into its own vector sink ("sink_file", "sink_cg")."""
    def block(name, block_id, row, column, **parameters):
        return {"name": name, "id": block_id, "parameters": parameters,
                "states": {"coordinate": [8 + 300 * column, 100 * row], "rotation": 0, "state": "enabled"}}

    sources = {"src_y": ("complex", "[0.5+0.1j, -0.3j] * 4", "2"),       # name: (type, items, vlen)
               "src_h": ("complex", "[1, 0.2j, -0.1, 0.9] * 4", "4"),
               "src_nv": ("float", "[0.1] * 4", "1")}
    detectors = {"file": dict(steps="file", steps_file=str(steps_file), iterations="4", form="complex", threads="1"),
                 "cg": dict(steps="computed", steps_file="", iterations="2", form="real", threads="2")}
    blocks = [block(name, "blocks_vector_source_x", row, 0, type=kind, vector=vector, repeat="False", vlen=vlen,
                    tags="[]")
              for row, (name, (kind, vector, vlen)) in enumerate(sources.items(), 1)]
    connections = []
    for row, (key, steps) in enumerate(detectors.items(), 1):
        blocks += [block(f"det_{key}", "neuralmimo_cg_detector", row, 1, nt="2", nr="2", constellation="qpsk",
                         output="llr", **steps),
                   block(f"sink_{key}", "blocks_vector_sink_x", row, 2, type="float", vlen="4", reserve_items="1024")]
        connections += [[src, "0", f"det_{key}", str(port)] for port, src in enumerate(sources)]
        connections.append([f"det_{key}", "0", f"sink_{key}", "0"])
    options = {"parameters": {"author": "", "category": "[GRC Hier Blocks]", "description": "",
                              "generate_options": "no_gui", "id": "cg_grc", "output_language": "python",
                              "run": "True", "run_options": "run", "title": "cg_grc"},
               "states": {"coordinate": [8, 8], "rotation": 0, "state": "enabled"}}
    return yaml.safe_dump({"options": options, "blocks": blocks, "connections": connections,
                           "metadata": {"file_format": 1}}, sort_keys=False)


if __name__ == "__main__":
    gr_unittest.run(qa_cg_detector)
