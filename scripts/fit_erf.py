#!/usr/bin/python3
"""Fits the float32 erf of shaders/activation.wgsl (`erf_f32`) and prints its coefficients and
its error, measured by evaluating the polynomials in float32 as the shader does, against
Python's float64 math.erf. Needs numpy: /usr/bin/python3 scripts/fit_erf.py

|x| < 1:  erf(x) = x * P(x^2), P of degree 5 on u = x^2 in [0, 1];
|x| >= 1: erf(x) = 1 - exp(-x^2) * Q(1/x), Q of degree 8 fitting erfc(x) * exp(x^2) on 1/x in [0.25, 1].
Each fit is a least-squares fit on Chebyshev nodes, reweighted (Lawson) towards minimax.
"""
import math

import numpy as np

erf = np.vectorize(math.erf)


def fit(f, lo, hi, deg):
    """Power coefficients, highest degree first, of a near-minimax polynomial fit of f on [lo, hi]."""
    n = 4000
    t = (np.cos(np.pi * (np.arange(n) + 0.5) / n) * (hi - lo) + (hi + lo)) / 2
    y = f(t)
    v = np.vander(t, deg + 1)
    w = np.ones_like(t)
    c = np.linalg.lstsq(v, y, rcond=None)[0]
    for _ in range(60):
        w = w * np.sqrt(np.abs(v @ c - y) + 1e-30)
        w /= w.max()
        c = np.linalg.lstsq(v * w[:, None], y * w, rcond=None)[0]
    return [np.float32(k) for k in c]


def horner32(c, t):
    acc = np.full_like(t, c[0])
    for k in c[1:]:
        acc = (acc * t + k).astype(np.float32)
    return acc


p = fit(lambda u: erf(np.sqrt(u)) / np.sqrt(u), 1e-12, 1, 5)
q = fit(lambda s: (1 - erf(1 / s)) * np.exp(1 / s**2), 0.25, 1, 8)
print('P', [repr(float(k)) for k in p])
print('Q', [repr(float(k)) for k in q])

x = np.linspace(0, 1, 200001, dtype=np.float32)[1:]
ref = erf(x.astype(np.float64))
print('|x| < 1: max relative error', np.max(np.abs(x * horner32(p, x * x) - ref) / ref))
x = np.linspace(1, 4, 300001, dtype=np.float32)
ref = erf(x.astype(np.float64))
y = np.float32(1) - np.exp(-(x * x)).astype(np.float32) * horner32(q, np.float32(1) / x)
print('1 <= |x| < 4: max absolute error', np.max(np.abs(y - ref)))
