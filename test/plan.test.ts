// Execution plans: recorded once, replayed with one submit; the static memory planner shares
// buffers only between tensors whose lifetimes do not overlap.
import { describe, it, expect } from 'vitest';
import { ExecutionPlan, planMemory, lifetimesOverlap, ShapeError, DisposedError, type Backend, type Tensor, type Lifetime } from 'webcnn';
import { gpuIt, cpu } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';

/** A small residual network of elementwise ops: y = relu(x*s + b) + x, twice, then sigmoid. */
function residualChain(b: Backend, x: Tensor, s: Tensor, bias: Tensor): Tensor {
  let h = x;
  for (let i = 0; i < 3; i++) {
    const scaled = b.mul(h, s);
    const shifted = b.add(scaled, bias);
    const act = b.activation(shifted, 'relu');
    h = b.add(act, h);
  }
  return b.activation(h, 'sigmoid');
}

describe('memory planner', () => {
  it('never gives one buffer to two tensors live at the same time (property, 300 random schedules)', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 300; trial++) {
      const n = rng.int(1, 40);
      const steps = rng.int(1, 30);
      const lifetimes: Lifetime[] = Array.from({ length: n }, () => {
        const first = rng.int(-1, steps - 1);
        const last = rng.next() < 0.1 ? Infinity : rng.int(Math.max(first, 0), steps - 1);
        return { bytes: 16 * rng.int(1, 64), first, last };
      });
      const plan = planMemory(lifetimes);
      for (let i = 0; i < n; i++) {
        expect(plan.bufferBytes[plan.assignment[i]]).toBeGreaterThanOrEqual(lifetimes[i].bytes);
        for (let j = i + 1; j < n; j++) {
          if (plan.assignment[i] === plan.assignment[j]) {
            expect(lifetimesOverlap(lifetimes[i], lifetimes[j]), `trial ${trial}: ${JSON.stringify([lifetimes[i], lifetimes[j]])}`).toBe(false);
          }
        }
      }
      expect(plan.peakBytes).toBeLessThanOrEqual(plan.naiveBytes);
    }
  });

  it('reuses buffers along a chain and can be switched off', () => {
    const chain: Lifetime[] = Array.from({ length: 6 }, (_, i) => ({ bytes: 1024, first: i, last: i + 1 }));
    const on = planMemory(chain);
    expect(on.bufferBytes.length).toBe(2);
    expect(on.peakBytes).toBe(2048);
    expect(on.naiveBytes).toBe(6144);
    const off = planMemory(chain, false);
    expect(off.peakBytes).toBe(off.naiveBytes);
  });
});

describe('ExecutionPlan', () => {
  const rng = new Rng(11);
  const shape = [2, 3, 5, 7];
  const n = 2 * 3 * 5 * 7;

  gpuIt('plan results equal the CPU reference, with one submit per run', async (gpu) => {
    const sData = rng.uniform(3, 0.5, 1.5);
    const bData = rng.uniform(3);
    const s = gpu.tensor(sData, [1, 3, 1, 1]);
    const bias = gpu.tensor(bData, [1, 3, 1, 1]);
    const plan = await ExecutionPlan.create(gpu, [shape], ([x]) => residualChain(gpu, x, s, bias), { label: 'residual' });
    expect(plan.dispatchCount).toBe(3 * 4 + 1);
    expect(plan.outputShapes).toEqual([shape]);
    expect(plan.memory.peakBytes).toBeLessThan(plan.memory.naiveBytes);
    for (let run = 0; run < 3; run++) {
      const x = rng.uniform(n, -2, 2);
      const before = gpu.submitCount;
      const [y] = await plan.run([x]);
      expect(gpu.submitCount - before).toBe(1);
      const cx = cpu.tensor(x, shape);
      const ref = await residualChain(cpu, cx, cpu.tensor(sData, [1, 3, 1, 1]), cpu.tensor(bData, [1, 3, 1, 1])).read();
      expectClose(y, ref, { atol: 1e-6, rtol: 1e-5 }, `run ${run}`, shape);
    }
    plan.dispose();
    s.dispose();
    bias.dispose();
  });

  gpuIt('memory reuse on and off give the same results; dispose returns the memory', async (gpu) => {
    const s = gpu.tensor(rng.uniform(3), [1, 3, 1, 1]);
    const bias = gpu.tensor(rng.uniform(3), [1, 3, 1, 1]);
    const before = gpu.memoryInfo();
    const on = await ExecutionPlan.create(gpu, [shape], ([x]) => residualChain(gpu, x, s, bias));
    const off = await ExecutionPlan.create(gpu, [shape], ([x]) => residualChain(gpu, x, s, bias), { reuseMemory: false });
    expect(off.memory.peakBytes).toBe(off.memory.naiveBytes);
    expect(on.memory.peakBytes).toBeLessThan(off.memory.peakBytes);
    const x = rng.uniform(n);
    const [a] = await on.run([x]);
    const [b] = await off.run([x]);
    expect(Array.from(a)).toEqual(Array.from(b));
    on.dispose();
    off.dispose();
    off.dispose();
    expect(gpu.memoryInfo().buffers).toBe(before.buffers);
    expect(gpu.memoryInfo().bytes).toBe(before.bytes);
    await expect(on.run([x])).rejects.toThrow(DisposedError);
    s.dispose();
    bias.dispose();
  });

  gpuIt('zeros() inside a plan reads as zeros on every run, though plan buffers are shared and reused across runs', async (gpu) => {
    // t dies after the add, so a tensor made after it may take its buffer; the accumulator is
    // added into in place and is an output, so without a clear on every run it would start from
    // t's values (first run) or its own previous result (second run).
    const len = 40;
    const plan = await ExecutionPlan.create(gpu, [[len]], ([x]) => {
      const t = gpu.activation(x, 'relu');
      const doubled = gpu.add(t, t);
      const acc = gpu.zeros([len]);
      gpu.accumulate(acc, x);
      return [doubled, acc];
    });
    expect(plan.dispatchCount).toBe(3);
    for (let run = 0; run < 3; run++) {
      const x = rng.uniform(len, -1, 1);
      const before = gpu.submitCount;
      const [doubled, acc] = await plan.run([x]);
      expect(gpu.submitCount - before).toBe(1);
      expect(Array.from(acc), `run ${run}`).toEqual(Array.from(x));
      expect(Array.from(doubled), `run ${run}`).toEqual(Array.from(x, (v) => 2 * Math.max(v, 0)));
    }
    plan.dispose();
  });

  gpuIt('runs issued without awaiting resolve in order with their own results', async (gpu) => {
    const plan = await ExecutionPlan.create(gpu, [[4]], ([x]) => gpu.activation(x, 'relu'));
    const inputs = Array.from({ length: 8 }, (_, i) => new Float32Array([i, -i, i + 0.5, -1]));
    const outs = await Promise.all(inputs.map((x) => plan.run([x])));
    outs.forEach(([y], i) => expect(Array.from(y)).toEqual([i, 0, i + 0.5, 0]));
    plan.dispose();
  });

  gpuIt('rejects inputs of the wrong size before any GPU work', async (gpu) => {
    const plan = await ExecutionPlan.create(gpu, [[2, 3]], ([x]) => gpu.activation(x, 'tanh'), { label: 'tiny' });
    await expect(plan.run([new Float32Array(5)])).rejects.toThrow(ShapeError);
    await expect(plan.run([new Float32Array(5)])).rejects.toThrow('tiny: input 0 must be a Float32Array of 6 values for shape [2,3], got 5 values');
    await expect(plan.run([])).rejects.toThrow('expects 1 inputs, got 0');
    plan.dispose();
  });
});
