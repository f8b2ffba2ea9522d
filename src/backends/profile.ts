/**
 * Profiles from the timings of a run's units of work, summed per scope (layer) in order of
 * first appearance; and the rules for a coarse GPU timer. Chrome quantizes timestamp queries to
 * 100 µs unless its WebGPU developer features are on, so one run's per-dispatch times of a few
 * tens of µs read 0 or 0.1 ms. Such a timer is detected from the times themselves (every one a
 * multiple of the quantum) and the profile averages several runs: each dispatch starts at a
 * different phase of the quantum, so the mean of its quantized times tends to its true time.
 */
import { InvalidArgumentError } from '../errors.js';
import type { DispatchTiming, PlanProfile, ProfileOptions } from './backend.js';

/** Chrome's timestamp quantization without developer features: 100 µs. */
export const COARSE_TIMER_QUANTUM_MS = 0.1;

/** Runs a profile averages when the timer is coarse and the caller did not say how many. */
export const COARSE_TIMER_RUNS = 20;

/**
 * Whether timings come from a coarse timer: every one an integer multiple of `quantumMs`
 * (within float rounding). A nanosecond timer gives that by chance only for a single dispatch
 * of a whole number of 100 µs; an empty list says nothing.
 */
export function isCoarseTimer(times: readonly number[], quantumMs = COARSE_TIMER_QUANTUM_MS): boolean {
  if (times.length === 0) return false;
  return times.every((t) => {
    const q = t / quantumMs;
    return Math.abs(q - Math.round(q)) < 1e-6;
  });
}

/** The runs to time: `options.runs` when given (checked), else 1, or COARSE_TIMER_RUNS on a coarse timer. */
export function profileRuns(options: ProfileOptions, coarse: boolean): number {
  const runs = options.runs;
  if (runs === undefined) return coarse ? COARSE_TIMER_RUNS : 1;
  if (!Number.isInteger(runs) || runs < 1) throw new InvalidArgumentError('profile', `runs must be a positive integer, got ${runs}`);
  return runs;
}

/** Each unit of work's mean time over several runs of the same units (same scopes and kernels, in order). */
export function averageTimings(runs: readonly (readonly DispatchTiming[])[]): DispatchTiming[] {
  if (runs.length === 0) return [];
  const [first] = runs;
  for (const r of runs) {
    if (r.length !== first.length || r.some((d, i) => d.scope !== first[i].scope || d.kernel !== first[i].kernel)) {
      throw new Error('averageTimings: the runs did not time the same units of work');
    }
  }
  return first.map((d, i) => ({ scope: d.scope, kernel: d.kernel, ms: runs.reduce((s, r) => s + r[i].ms, 0) / runs.length }));
}

/**
 * A profile of one run's timings, or (with `runs` > 1) of their means over that many runs;
 * `coarseTimer` when the timestamps were quantized (see `isCoarseTimer`).
 */
export function profileOf(dispatches: readonly DispatchTiming[], source: PlanProfile['source'], runs = 1, coarseTimer = false): PlanProfile {
  const layers: { name: string; ms: number; dispatches: number }[] = [];
  for (const d of dispatches) {
    const layer = layers.find((l) => l.name === d.scope);
    if (layer) {
      layer.ms += d.ms;
      layer.dispatches++;
    } else layers.push({ name: d.scope, ms: d.ms, dispatches: 1 });
  }
  return { dispatches, layers, totalMs: dispatches.reduce((s, d) => s + d.ms, 0), source, runs, coarseTimer };
}
