#!/usr/bin/env python3
# Copyright 2026 gr-neuralmimo contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""C++ cg_detector block: classical CG equals nm.detector("cg") (llr_variance="exact"), learned
steps equal a float64 reference of LcgNet (and the LcgNet model), the LLR variance is right
statistically, quantised steps are used exactly; clear errors."""
import json
import os
import tempfile
from pathlib import Path

import numpy as np
from gnuradio import blocks, gr, gr_unittest

import neuralmimo as nm
from neuralmimo.cg_steps import load_cg_steps
from neuralmimo.qa_common import random_system, run_detector_block

os.environ.setdefault("GR_CONF_LOG_LOG_LEVEL", "error")

# (constellation, Nr, Nt); Nr >= 2 Nt keeps float32 CG within 1e-4 of float64 after Nt iterations.
CASES = (("qam16", 8, 4), ("qpsk", 6, 3), ("bpsk", 8, 4), ("qam64", 4, 2), ("qam256", 4, 2))


def real_system(y, h):
    """y complex[B,Nr], h complex[B,Nr,Nt] -> y_r [B,2Nr], H_r [B,2Nr,2Nt] (float64, [Re; Im] order)."""
    hr, hi = h.real, h.imag
    h_r = np.concatenate([np.concatenate([hr, -hi], -1), np.concatenate([hi, hr], -1)], -2)
    return np.concatenate([y.real, y.imag], -1), h_r


def lcg_reference(y, h, nv, alpha, beta, const):
    """Float64 LcgNet with the LLR variance of the issue, written from the formulas.

    alpha, beta: [L, 2Nt]. Returns (estimate complex[B,Nt], llr [B,Nt*K], mu [B,2Nt], nu [B,2Nt]).
    """
    y = y.astype(np.complex128)
    h = h.astype(np.complex128)
    nv = np.asarray(nv, np.float64)
    b_, _, nt = h.shape
    n = 2 * nt
    y_r, h_r = real_system(y, h)
    g = np.swapaxes(h_r, 1, 2) @ h_r
    a = g + nv[:, None, None] * np.eye(n)
    b = (np.swapaxes(h_r, 1, 2) @ y_r[..., None])[..., 0]

    def recursion(rhs):
        s = np.zeros_like(rhs)
        r, d = rhs.copy(), rhs.copy()
        for al, be in zip(alpha, beta):
            al = al.reshape((1, n) + (1,) * (rhs.ndim - 2))
            be = be.reshape((1, n) + (1,) * (rhs.ndim - 2))
            ad = a @ d if rhs.ndim == 3 else (a @ d[..., None])[..., 0]
            s = s + al * d
            r = r - al * ad
            d = r + be * d
        return s

    alpha = np.asarray(alpha, np.float64)
    beta = np.asarray(beta, np.float64)
    s = recursion(b)
    m = recursion(np.broadcast_to(np.eye(n), (b_, n, n)).copy())
    t = m @ g
    mu = np.diagonal(t, axis1=1, axis2=2).copy()
    e = np.array([1.0] * nt + [0.0] * nt) if const.bits_per_symbol == 1 else np.full(n, 0.5)
    off = t * (1.0 - np.eye(n))
    interference = (off ** 2 * e).sum(-1)
    noise = nv[:, None] / 2 * (t * m).sum(-1)
    mu = np.where(np.abs(mu) > 1e-12, mu, 1e-12)
    nu = np.maximum((interference + noise) / mu ** 2, 1e-10)
    z = s / mu
    llr = maxlog_llr(z[:, :nt], z[:, nt:], nu[:, :nt], nu[:, nt:], const)
    return s[:, :nt] + 1j * s[:, nt:], llr, mu, nu


def maxlog_llr(z_re, z_im, nu_re, nu_im, const):
    """Enumerated max-log LLRs with per-dimension variances; BPSK ignores the imaginary part."""
    p = const.points.astype(np.complex128)
    d = (z_re[..., None] - p.real) ** 2 / (2 * nu_re[..., None])
    if const.bits_per_symbol > 1:
        d = d + (z_im[..., None] - p.imag) ** 2 / (2 * nu_im[..., None])
    bits = const.bits.astype(bool)                                   # [M, K]
    d0 = np.where(~bits[None, None], d[..., None], np.inf).min(-2)  # [B, Nt, K]
    d1 = np.where(bits[None, None], d[..., None], np.inf).min(-2)
    return (d0 - d1).reshape(z_re.shape[0], -1)


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


def run_flowgraph(block, y, h, nv, out_dtype, out_vlen, buffer_items=None):
    """Like qa_common.run_detector_block, with optional large buffers (many items per work())."""
    if buffer_items is None:
        return run_detector_block(block, y, h, nv, out_dtype, out_vlen)
    b, nr = y.shape
    nt = h.shape[2]
    tb = gr.top_block()
    srcs = [blocks.vector_source_c(y.ravel().tolist(), False, nr),
            blocks.vector_source_c(h.reshape(b, -1).ravel().tolist(), False, nr * nt),
            blocks.vector_source_f(np.asarray(nv, np.float32).tolist(), False, 1)]
    sink = {np.float32: blocks.vector_sink_f, np.complex64: blocks.vector_sink_c}[out_dtype](out_vlen)
    for i, s in enumerate(srcs):
        s.set_min_output_buffer(buffer_items)
        tb.connect(s, (block, i))
    block.set_min_output_buffer(buffer_items)
    tb.connect(block, sink)
    tb.run()
    return np.asarray(sink.data(), dtype=out_dtype).reshape(-1, out_vlen)


def lcgnet_model(nt, nr, const, alpha, beta):
    """The LcgNet model of neuralmimo.models (float64), or None where it cannot be built."""
    try:
        from neuralmimo.models.lcgnet import LcgNet
    except ImportError:
        return None
    model = LcgNet(nt, nr, const, layers=len(alpha), variant="V")
    model.set_steps(alpha, beta)
    return model.double().eval()


class qa_cg_detector(gr_unittest.TestCase):
    def test_classical_equals_python_cg(self):
        rng = np.random.default_rng(11)
        for const, nr, nt in CASES:
            c = nm.constellation(const)
            k = c.bits_per_symbol
            y, h, _ = random_system(rng, 200, nr, nt, c, 0.1)
            nv = rng.uniform(0.05, 1.0, 200).astype(np.float32)
            for form, iters in (("complex", nt), ("real", 2 * nt), ("complex", 2), ("real", 3)):
                ref = nm.detector("cg", constellation=const, iterations=iters, form=form,
                                  llr_variance="exact")(y.astype(np.complex128), h.astype(np.complex128), nv)
                msg = f"{const} {nr}x{nt} {form} {iters}"
                est = run_detector_block(nm.cg_detector(nt, nr, const, "estimate", iters, form=form),
                                         y, h, nv, np.complex64, nt)
                np.testing.assert_allclose(est, ref.estimate, atol=1e-4, err_msg=msg)
                llr = run_detector_block(nm.cg_detector(nt, nr, const, "llr", iters, form=form),
                                         y, h, nv, np.float32, nt * k)
                np.testing.assert_allclose(llr, ref.llr.reshape(200, -1), rtol=2e-3, atol=2e-3, err_msg=msg)
                sym = run_detector_block(nm.cg_detector(nt, nr, const, "symbols", iters, form=form),
                                         y, h, nv, np.complex64, nt)
                self.assertGreater(np.mean(np.abs(sym - ref.symbols) < 1e-5), 0.999, msg)

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
            np.testing.assert_allclose(llr, ref.llr.reshape(300, -1), rtol=2e-3, atol=2e-3, err_msg=const)

    def test_learned_equals_reference_and_lcgnet(self):
        rng = np.random.default_rng(13)
        for const, nr, nt in CASES + (("qam16", 4, 4),):
            c = nm.constellation(const)
            k = c.bits_per_symbol
            layers = 5
            alpha, beta = sensible_steps(rng, layers, nt, nr)
            y, h, _ = random_system(rng, 300, nr, nt, c, 0.1)
            nv = rng.uniform(0.02, 1.0, 300).astype(np.float32)
            est_ref, llr_ref, _, _ = lcg_reference(y, h, nv, alpha, beta, c)
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

            model = lcgnet_model(nt, nr, const, alpha, beta)
            if model is None:
                continue
            import torch

            with torch.no_grad():
                m_llr, m_est = model(torch.from_numpy(np.stack([y.real, y.imag], -1).astype(np.float64)),
                                     torch.from_numpy(np.stack([h.real, h.imag], -1).astype(np.float64)),
                                     torch.from_numpy(nv.astype(np.float64)))
            m_est = m_est.numpy()
            np.testing.assert_allclose(est, m_est[..., 0] + 1j * m_est[..., 1], atol=1e-4, err_msg=msg)
            np.testing.assert_allclose(llr, m_llr.numpy().reshape(300, -1), rtol=2e-3, atol=2e-3, err_msg=msg)

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
        est_ref, llr_ref, _, _ = lcg_reference(y, h, nv, alpha, beta, c)
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
        _, llr_ref, _, _ = lcg_reference(y, h, nv, alpha, beta, c)
        outs = []
        for threads in (1, 2):
            blk = nm.cg_detector(4, 4, "qam16", "llr", 4, threads=threads, **kw)
            outs.append(run_flowgraph(blk, y, h, nv, np.float32, 16, buffer_items=4096))
        np.testing.assert_allclose(outs[0], llr_ref, rtol=2e-3, atol=2e-3)
        np.testing.assert_array_equal(outs[0], outs[1])
        for threads in (1, 2):
            blk = nm.cg_detector(4, 4, "qam16", "llr", 4, form="real", threads=threads)
            outs.append(run_flowgraph(blk, y, h, nv, np.float32, 16, buffer_items=4096))
        np.testing.assert_array_equal(outs[2], outs[3])

    def test_invalid_items_are_erased_not_fatal(self):
        rng = np.random.default_rng(17)
        c = nm.constellation("qam16")
        y, h, _ = random_system(rng, 50, 4, 4, c, 0.1)
        nv = np.full(50, 0.1, np.float32)
        nv[2], nv[5] = 0.0, -0.5
        y[7, 0] = np.nan
        h[9, 1, 1] = np.inf
        h[11, 0, 2] = np.nan
        bad = [2, 5, 7, 9, 11]
        good = np.setdiff1d(np.arange(50), bad)
        alpha, beta = sensible_steps(rng, 3, 4, 4)
        for label, make in (("learned", lambda: nm.cg_detector(4, 4, "qam16", "llr", 3, alpha.ravel().tolist(),
                                                                beta.ravel().tolist())),
                            ("classical", lambda: nm.cg_detector(4, 4, "qam16", "llr", 4))):
            blk = make()
            got = run_detector_block(blk, y, h, nv, np.float32, 16)
            self.assertTrue(np.all(got[bad] == 0), label)
            self.assertEqual(blk.invalid_items(), len(bad), label)
            self.assertTrue(np.all(np.isfinite(got)), label)
            if label == "learned":
                _, ref, _, _ = lcg_reference(y[good], h[good], nv[good], alpha, beta, c)
            else:
                ref = nm.detector("cg", constellation="qam16", iterations=4, llr_variance="exact")(
                    y[good].astype(np.complex128), h[good].astype(np.complex128), nv[good]).llr.reshape(len(good), -1)
            np.testing.assert_allclose(got[good], ref, rtol=2e-3, atol=2e-3, err_msg=label)

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
        with self.assertRaisesRegex(ValueError, "qam32"):
            nm.cg_detector(4, 4, "qam32", "llr", 4)
        with self.assertRaisesRegex(ValueError, "soft"):
            nm.cg_detector(4, 4, "qam16", "soft", 4)
        with self.assertRaisesRegex(ValueError, "form 'polar'"):
            nm.cg_detector(4, 4, "qam16", "llr", 4, form="polar")
        with self.assertRaisesRegex(ValueError, "threads = 0"):
            nm.cg_detector(4, 4, "qam16", "llr", 4, threads=0)
        with self.assertRaisesRegex(ValueError, r"alpha\[3\]"):
            nm.cg_detector(4, 4, "qam16", "llr", 2, a16[:3] + [float("nan")] + a16[4:], a16)

    def test_wrong_vlen_is_refused_at_connect(self):
        blk = nm.cg_detector(4, 4, "qam16", "llr", 4)
        tb = gr.top_block()
        with self.assertRaisesRegex(Exception, "itemsize mismatch"):
            tb.connect(blocks.vector_source_c([0j] * 3, False, 3), (blk, 0))

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
            grc.write_text(_GRC.replace("@STEPS@", str(steps)))
            py = compile_grc(grc, tmp)
            tb = load_top_block(py).cg_grc()
            tb.run()
            self.assertEqual(len(tb.sink_file.data()), 2 * 2 * 4)
            self.assertEqual(len(tb.sink_cg.data()), 2 * 2 * 4)


# Two detectors, one with computed and one with file steps, fed from one set of sources.
_GRC = """options:
  parameters: {author: '', category: '[GRC Hier Blocks]', description: '', generate_options: no_gui,
    id: cg_grc, output_language: python, run: 'True', run_options: run, title: cg_grc}
  states: {coordinate: [8, 8], rotation: 0, state: enabled}
blocks:
- name: src_y
  id: blocks_vector_source_x
  parameters: {type: complex, vector: '[0.5+0.1j, -0.3j] * 4', repeat: 'False', vlen: '2', tags: '[]'}
  states: {coordinate: [8, 100], rotation: 0, state: enabled}
- name: src_h
  id: blocks_vector_source_x
  parameters: {type: complex, vector: '[1, 0.2j, -0.1, 0.9] * 4', repeat: 'False', vlen: '4', tags: '[]'}
  states: {coordinate: [8, 200], rotation: 0, state: enabled}
- name: src_nv
  id: blocks_vector_source_x
  parameters: {type: float, vector: '[0.1] * 4', repeat: 'False', vlen: '1', tags: '[]'}
  states: {coordinate: [8, 300], rotation: 0, state: enabled}
- name: det_file
  id: neuralmimo_cg_detector
  parameters: {nt: '2', nr: '2', constellation: qpsk, output: llr, steps: file, steps_file: '@STEPS@',
    iterations: '4', form: complex, threads: '1'}
  states: {coordinate: [300, 100], rotation: 0, state: enabled}
- name: det_cg
  id: neuralmimo_cg_detector
  parameters: {nt: '2', nr: '2', constellation: qpsk, output: llr, steps: computed, steps_file: '',
    iterations: '2', form: real, threads: '2'}
  states: {coordinate: [300, 300], rotation: 0, state: enabled}
- name: sink_file
  id: blocks_vector_sink_x
  parameters: {type: float, vlen: '4', reserve_items: '1024'}
  states: {coordinate: [600, 100], rotation: 0, state: enabled}
- name: sink_cg
  id: blocks_vector_sink_x
  parameters: {type: float, vlen: '4', reserve_items: '1024'}
  states: {coordinate: [600, 300], rotation: 0, state: enabled}
connections:
- [src_y, '0', det_file, '0']
- [src_h, '0', det_file, '1']
- [src_nv, '0', det_file, '2']
- [src_y, '0', det_cg, '0']
- [src_h, '0', det_cg, '1']
- [src_nv, '0', det_cg, '2']
- [det_file, '0', sink_file, '0']
- [det_cg, '0', sink_cg, '0']
metadata: {file_format: 1}
"""


if __name__ == "__main__":
    gr_unittest.run(qa_cg_detector)
