// The zoo against PyTorch itself: scripts/zoo_reference.py (run here with /usr/bin/python3)
// builds torchvision's MobileNets and the reference U-Net module with seeded random weights and
// writes their state_dicts and outputs; each zoo model must have exactly that state_dict's keys,
// shapes and parameter count, load it by name, and give PyTorch's output on WebGPU and on the
// CPU reference backend.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, readSafetensors, CpuBackend, WebGpuBackend, type Backend, type ZooName, type ZooOptions } from 'webcnn';
import { gpuIt } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = new URL('../scripts/zoo_reference.py', import.meta.url).pathname;
const SIZE = 64;
/** The first GPU model compiles most of the file's ~40 pipelines: about 50 s on SwiftShader when idle, 100 s on a loaded machine. */
const PIPELINE_TIMEOUT = 300_000;

interface Case {
  /** The reference's name in zoo_reference.py. */
  ref: string;
  name: ZooName;
  options: ZooOptions;
}

const CASES: readonly Case[] = [
  { ref: 'mobilenet_v2', name: 'mobilenet_v2', options: {} },
  { ref: 'mobilenet_v3_small', name: 'mobilenet_v3_small', options: {} },
  { ref: 'mobilenet_v3_large', name: 'mobilenet_v3_large', options: {} },
  { ref: 'unet', name: 'unet', options: {} },
  { ref: 'unet_w8_d3_c3', name: 'unet', options: { width: 8, depth: 3, numClasses: 3 } },
];

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'webcnn-zoo-'));
  try {
    execFileSync(PYTHON, [SCRIPT, dir, String(SIZE), ...CASES.map((c) => c.ref)], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`${PYTHON} ${SCRIPT} failed (it needs Debian's python3-torch and python3-torchvision): ${err.stderr?.toString() || err.message}`);
  }
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function reference(ref: string) {
  const weights = readFileSync(join(dir, `${ref}.safetensors`));
  const file = readSafetensors(weights);
  const io = readSafetensors(readFileSync(join(dir, `${ref}.io.safetensors`)));
  return { weights, meta: file.metadata, tensors: file.tensors, input: io.tensors.get('input')!, output: io.tensors.get('output')! };
}

/**
 * Loads PyTorch's state_dict into the zoo model on `backend` and compares outputs within 1e-3
 * of the output's scale (measured: about 1.5e-6 of it on the CPU).
 */
async function matchesTorch(c: Case, backend: Backend, fuse = true): Promise<void> {
  const ref = reference(c.ref);
  const model = createModel(c.name, { ...c.options, inputSize: SIZE, backend, fuse });
  model.loadWeights(ref.weights, { label: `${c.ref}.safetensors` });
  const submits = backend instanceof WebGpuBackend ? backend.submitCount : 0;
  const got = await model.predict(ref.input.data);
  if (backend instanceof WebGpuBackend) expect(backend.submitCount - submits, 'submits per predict').toBe(1);
  const scale = Math.max(...Array.from(ref.output.data, Math.abs));
  expect(scale, 'output scale').toBeGreaterThan(0);
  expectClose(got, ref.output.data, { atol: 1e-3 * scale, rtol: 0 }, c.ref, ref.output.shape);
  model.dispose();
}

describe("the zoo's MobileNets are torchvision's, its U-Net the reference module's", () => {
  it.each(CASES)('$ref: state_dict keys, shapes and parameter count', (c) => {
    const ref = reference(c.ref);
    const model = createModel(c.name, { ...c.options, inputSize: SIZE });
    const ours = model.parameterShapes();
    // Every state_dict entry but the integer num_batches_tracked counters (one per batch norm).
    expect([...ours.keys()].sort()).toEqual([...ref.tensors.keys()].sort());
    for (const [k, t] of ref.tensors) expect(ours.get(k), k).toEqual(t.shape);
    const dropped = JSON.parse(ref.meta.dropped) as string[];
    expect(dropped.every((k) => k.endsWith('.num_batches_tracked'))).toBe(true);
    expect(dropped.length).toBe(model.info(1).nodes.filter((n) => n.type === 'batchNorm').length);
    expect(model.totalParams).toBe(Number(ref.meta.num_params));
    expect(model.outputShapes(1)).toEqual([ref.output.shape]);
  });

  // The zoo's defaults on WebGPU (its pipelines take most of this file's time on a software
  // adapter); the other U-Net configuration runs the same kernels, on the CPU below.
  for (const c of CASES.filter((k) => Object.keys(k.options).length === 0)) {
    gpuIt(`${c.ref} ${SIZE}×${SIZE} on WebGPU gives PyTorch's output`, (gpu) => matchesTorch(c, gpu), PIPELINE_TIMEOUT);
  }

  it.each(CASES)(`$ref ${SIZE}×${SIZE} on the CPU reference backend gives PyTorch's output`, (c) => matchesTorch(c, new CpuBackend(), false));
});
