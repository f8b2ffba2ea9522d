/**
 * Tolerance checks of the form |actual - expected| <= atol + rtol·|expected|. A failure names
 * the first failing index (as a multi-index when the shape is known), both values, how many
 * elements failed and the worst excess.
 */
import { expect } from 'vitest';

export interface Tolerance {
  atol: number;
  rtol: number;
}

function multiIndex(i: number, shape?: readonly number[]): string {
  if (!shape || shape.length === 0) return `${i}`;
  const idx: number[] = [];
  let rem = i;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(rem % shape[d]);
    rem = Math.floor(rem / shape[d]);
  }
  return `${i} [${idx.join(',')}]`;
}

export function closeReport(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  shape?: readonly number[],
): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} != expected ${expected.length}`;
  let failures = 0;
  let first = -1;
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    let ok: boolean;
    let excess = 0;
    if (Number.isNaN(e) || Number.isNaN(a)) ok = Number.isNaN(e) && Number.isNaN(a);
    else if (!Number.isFinite(e) || !Number.isFinite(a)) ok = a === e;
    else {
      const diff = Math.abs(a - e);
      const bound = tol.atol + tol.rtol * Math.abs(e);
      ok = diff <= bound;
      excess = diff - bound;
    }
    if (!ok) {
      failures++;
      if (first < 0) first = i;
      if (worst < 0 || excess > worstExcess || Number.isNaN(excess)) {
        worst = i;
        worstExcess = excess;
      }
    }
  }
  if (failures === 0) return null;
  return (
    `${failures}/${actual.length} values outside atol ${tol.atol} + rtol ${tol.rtol}·|ref|; ` +
    `first at ${multiIndex(first, shape)}: got ${actual[first]}, want ${expected[first]}; ` +
    `worst at ${multiIndex(worst, shape)}: got ${actual[worst]}, want ${expected[worst]} (diff ${Math.abs(actual[worst] - expected[worst])})`
  );
}

/**
 * A tolerance relative to the output's scale, `rtol·max|expected|` for every element: for a
 * whole network's output, whose small elements are sums that nearly cancelled and carry the
 * rounding of the large terms they came from.
 */
export function scaleTolerance(expected: ArrayLike<number>, rtol: number): Tolerance {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  return { atol: rtol * scale, rtol: 0 };
}

export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  label = '',
  shape?: readonly number[],
): void {
  const report = closeReport(actual, expected, tol, shape);
  if (report) expect.fail(`${label ? `${label}: ` : ''}${report}`);
}
