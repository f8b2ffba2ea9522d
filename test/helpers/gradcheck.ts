/**
 * Finite-difference gradient checks. The scalar checked is L = Σ_i y_i·r_i for a fixed random
 * projection r, so dL/dy = r is the `dy` to feed the analytic backward. Central differences
 * on the CPU reference's forward, with float64 sums of float32 outputs: use inputs and eps
 * around 1e-2 and tolerances around 1e-2 relative.
 */
import { expect } from 'vitest';

export interface GradCheckOptions {
  /** Step (default 1e-2). */
  eps?: number;
  /** |numeric − analytic| <= atol + rtol·|numeric| (defaults 2e-3 and 2e-2). */
  atol?: number;
  rtol?: number;
  /** Check at most this many coordinates, spread evenly (default 64). */
  maxChecks?: number;
  label?: string;
}

/** Σ y·r in float64. */
export function project(y: ArrayLike<number>, r: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] * r[i];
  return s;
}

/**
 * Checks `analytic` (dL/dx for the input `x`) against central differences of
 * `lossOf(xPerturbed)` — a function that runs the forward and returns L.
 */
export function expectGradient(lossOf: (x: Float32Array) => number, x: Float32Array, analytic: ArrayLike<number>, options: GradCheckOptions = {}): void {
  const eps = options.eps ?? 1e-2;
  const atol = options.atol ?? 2e-3;
  const rtol = options.rtol ?? 2e-2;
  const n = x.length;
  expect(analytic.length, `${options.label ?? ''} gradient length`).toBe(n);
  const checks = Math.min(n, options.maxChecks ?? 64);
  const failures: string[] = [];
  for (let c = 0; c < checks; c++) {
    const i = Math.floor((c * n) / checks);
    const saved = x[i];
    x[i] = saved + eps;
    const up = lossOf(x);
    x[i] = saved - eps;
    const down = lossOf(x);
    x[i] = saved;
    const numeric = (up - down) / (2 * eps);
    const diff = Math.abs(numeric - analytic[i]);
    if (!(diff <= atol + rtol * Math.abs(numeric))) failures.push(`[${i}] numeric ${numeric}, analytic ${analytic[i]}, diff ${diff}`);
  }
  if (failures.length > 0) {
    expect.fail(`${options.label ?? 'gradient'}: ${failures.length}/${checks} coordinates off (atol ${atol}, rtol ${rtol}): ${failures.slice(0, 5).join('; ')}`);
  }
}
