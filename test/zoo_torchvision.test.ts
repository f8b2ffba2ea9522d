// The zoo against PyTorch itself: scripts/zoo_reference.py (run here with /usr/bin/python3)
// builds torchvision's models with seeded random weights and writes their state_dicts and
// outputs; each zoo model must load the state_dict by name, with exactly torchvision's key set
// and shapes and parameter count, and give torchvision's output on WebGPU and on the CPU
// reference backend.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, readSafetensors, CpuBackend, WebGpuBackend, type Backend, type ZooName } from 'webcnn';
import { gpuIt } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = new URL('../scripts/zoo_reference.py', import.meta.url).pathname;
const SIZE = 64;
const MOBILENETS = ['mobilenet_v2', 'mobilenet_v3_small', 'mobilenet_v3_large'] as const satisfies readonly ZooName[];

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'webcnn-zoo-'));
  try {
    execFileSync(PYTHON, [SCRIPT, dir, String(SIZE), ...MOBILENETS], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`${PYTHON} ${SCRIPT} failed (it needs Debian's python3-torch and python3-torchvision): ${err.stderr?.toString() || err.message}`);
  }
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function reference(name: string) {
  const weights = readFileSync(join(dir, `${name}.safetensors`));
  const io = readSafetensors(readFileSync(join(dir, `${name}.io.safetensors`)));
  return { weights, meta: readSafetensors(weights).metadata, tensors: readSafetensors(weights).tensors, input: io.tensors.get('input')!, output: io.tensors.get('output')! };
}

/**
 * Loads torchvision's state_dict into the zoo model on `backend` and compares outputs within
 * 1e-3 of the output's scale (measured: about 1.5e-6 of it on the CPU).
 */
async function matchesTorch(name: ZooName, backend: Backend, fuse = true): Promise<void> {
  const ref = reference(name);
  const model = createModel(name, { inputSize: SIZE, backend, fuse });
  model.loadWeights(ref.weights, { label: `${name}.safetensors` });
  const submits = backend instanceof WebGpuBackend ? backend.submitCount : 0;
  const got = await model.predict(ref.input.data);
  if (backend instanceof WebGpuBackend) expect(backend.submitCount - submits, 'submits per predict').toBe(1);
  const scale = Math.max(...Array.from(ref.output.data, Math.abs));
  expect(scale, 'output scale').toBeGreaterThan(0);
  expectClose(got, ref.output.data, { atol: 1e-3 * scale, rtol: 0 }, name, ref.output.shape);
  model.dispose();
}

describe("the zoo's MobileNets are torchvision's", () => {
  it.each(MOBILENETS)('%s: state_dict keys, shapes and parameter count', (name) => {
    const ref = reference(name);
    const model = createModel(name, { inputSize: SIZE });
    const ours = model.parameterShapes();
    // Every state_dict entry but the integer num_batches_tracked counters (one per batch norm).
    expect([...ours.keys()].sort()).toEqual([...ref.tensors.keys()].sort());
    for (const [k, t] of ref.tensors) expect(ours.get(k), k).toEqual(t.shape);
    const dropped = JSON.parse(ref.meta.dropped) as string[];
    expect(dropped.every((k) => k.endsWith('.num_batches_tracked'))).toBe(true);
    expect(dropped.length).toBe(model.info(1).nodes.filter((n) => n.type === 'batchNorm').length);
    expect(model.totalParams).toBe(Number(ref.meta.num_params));
  });

  for (const name of MOBILENETS) {
    gpuIt(`${name} ${SIZE}×${SIZE} on WebGPU gives torchvision's output`, (gpu) => matchesTorch(name, gpu));
  }

  it.each(MOBILENETS)(`%s ${SIZE}×${SIZE} on the CPU reference backend gives torchvision's output`, (name) => matchesTorch(name, new CpuBackend(), false));
});
