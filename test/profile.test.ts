// Profiles on a coarse timer: Chrome quantizes timestamp queries to 100 µs unless its WebGPU
// developer features are on. The quantization is detected from the times (all multiples of
// 0.1 ms), several runs are averaged per dispatch, and the mean of quantized readings taken at
// random phases converges to the true time (simulated here). Model.profile({ runs }) averages on
// the GPU and the CPU and refuses a bad count.
import { describe, it, expect } from 'vitest';
import { Sequential, layers, CpuBackend, InvalidArgumentError, type Backend, type DispatchTiming } from 'webcnn';
import { isCoarseTimer, averageTimings, profileOf, profileRuns, COARSE_TIMER_RUNS, COARSE_TIMER_QUANTUM_MS } from '../src/backends/profile.js';
import { gpuIt } from './helpers/gpu.js';
import { Rng } from './helpers/random.js';

const t = (scope: string, ms: number, kernel = 'k'): DispatchTiming => ({ scope, kernel, ms });

describe('coarse timer detection', () => {
  it('every time a multiple of 0.1 ms (0 included) is coarse; nanosecond times are not; nothing is not', () => {
    expect(isCoarseTimer([0, 0.1, 0.2, 0, 0.30000000000000004, 1.7])).toBe(true);
    expect(isCoarseTimer([0, 0, 0])).toBe(true);
    // What the query readback gives: BigInt nanoseconds / 1e6.
    expect(isCoarseTimer([Number(300000n) / 1e6, Number(100000n) / 1e6])).toBe(true);
    expect(isCoarseTimer([0.1, 0.043217])).toBe(false);
    expect(isCoarseTimer([Number(123457n) / 1e6])).toBe(false);
    expect(isCoarseTimer([])).toBe(false);
    expect(isCoarseTimer([0.5, 1.5], 0.5)).toBe(true);
  });

  it('runs: the count given, else 1, or COARSE_TIMER_RUNS on a coarse timer; a bad count is refused', () => {
    expect(profileRuns({}, false)).toBe(1);
    expect(profileRuns({}, true)).toBe(COARSE_TIMER_RUNS);
    expect(profileRuns({ runs: 3 }, true)).toBe(3);
    for (const bad of [0, -1, 1.5, NaN]) {
      expect(() => profileRuns({ runs: bad }, false)).toThrow(InvalidArgumentError);
    }
    expect(() => profileRuns({ runs: 0 }, false)).toThrow('profile: runs must be a positive integer, got 0');
  });
});

describe('averaging runs', () => {
  it('each dispatch gets its mean over the runs; layers sum their dispatches; the profile says how many runs', () => {
    const runs = [
      [t('c1', 0.1), t('c1', 0), t('fc', 0.2)],
      [t('c1', 0), t('c1', 0.1), t('fc', 0.2)],
      [t('c1', 0.1), t('c1', 0), t('fc', 0.1)],
      [t('c1', 0), t('c1', 0), t('fc', 0.3)],
    ];
    const avg = averageTimings(runs);
    expect(avg.map((d) => d.scope)).toEqual(['c1', 'c1', 'fc']);
    [0.05, 0.025, 0.2].forEach((want, i) => expect(avg[i].ms).toBeCloseTo(want, 12));
    const p = profileOf(avg, 'timestamp-query', 4, true);
    expect(p.runs).toBe(4);
    expect(p.coarseTimer).toBe(true);
    expect(p.layers.map((l) => [l.name, l.dispatches])).toEqual([['c1', 2], ['fc', 1]]);
    expect(p.layers[0].ms).toBeCloseTo(0.075, 12);
    expect(p.totalMs).toBeCloseTo(0.075 + 0.2, 12);
    expect(averageTimings([])).toEqual([]);
    expect(profileOf([t('a', 1)], 'cpu')).toMatchObject({ runs: 1, coarseTimer: false });
  });

  it('refuses runs that timed different work', () => {
    expect(() => averageTimings([[t('a', 1)], [t('a', 1), t('b', 1)]])).toThrow('averageTimings: the runs did not time the same units of work');
    expect(() => averageTimings([[t('a', 1)], [t('b', 1)]])).toThrow(/same units/);
  });

  it('on a simulated 100 µs timer, the mean of 1600 runs is within 5 µs of each true time; one run is not', () => {
    // Each dispatch starts at a random phase; the timer floors both timestamps to 0.1 ms.
    const truth = [0.013, 0.042, 0.087, 0.15, 0.333];
    const rng = new Rng(21);
    const q = COARSE_TIMER_QUANTUM_MS;
    const readOnce = (): DispatchTiming[] => {
      let clock = rng.uniform(1, 0, 10)[0];
      return truth.map((ms, i) => {
        const start = Math.floor(clock / q) * q;
        clock += ms;
        const end = Math.floor(clock / q) * q;
        clock += rng.uniform(1, 0, 0.05)[0]; // a gap before the next dispatch
        return t(`l${i}`, Math.round((end - start) / q) * q);
      });
    };
    const one = readOnce();
    expect(isCoarseTimer(one.map((d) => d.ms))).toBe(true);
    expect(one.some((d, i) => Math.abs(d.ms - truth[i]) > 0.01)).toBe(true);
    const avg = averageTimings(Array.from({ length: 1600 }, readOnce));
    // A reading is 0.1 ms × Bernoulli(true/0.1) (plus whole quanta): sd ≤ 0.05/√1600 = 1.25 µs; 4 sd.
    avg.forEach((d, i) => expect(Math.abs(d.ms - truth[i]), `l${i}: ${d.ms} vs ${truth[i]}`).toBeLessThan(0.005));
  });
});

describe('Model.profile({ runs })', () => {
  const net = (backend: Backend) =>
    new Sequential({ inputShape: [1, 8, 8], name: 'p', backend, seed: 1 })
      .add(layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu' }), 'c1')
      .add(layers.flatten(), 'flat')
      .add(layers.dense({ units: 3 }), 'fc');

  for (const where of ['GPU', 'CPU'] as const) {
    gpuIt(`${where}: averages the runs asked for, keeps the layers, refuses runs 0 before any work`, async (gpu) => {
      const m = net(where === 'GPU' ? gpu : new CpuBackend());
      try {
        const x = new Rng(3).uniform(64);
        const once = await m.profile(x);
        expect(once.runs).toBe(once.coarseTimer ? COARSE_TIMER_RUNS : 1);
        const three = await m.profile(x, 1, { runs: 3 });
        expect(three.runs).toBe(3);
        expect(three.layers.map((l) => l.name)).toEqual(once.layers.map((l) => l.name));
        expect(three.dispatches.every((d) => d.ms >= 0)).toBe(true);
        if (where === 'CPU') expect(three.coarseTimer).toBe(false);
        await expect(m.profile(x, 1, { runs: 0 })).rejects.toThrow(InvalidArgumentError);
        // The model still predicts after being profiled.
        expect((await m.predict(x)).length).toBe(3);
      } finally {
        m.dispose();
      }
    });
  }
});
