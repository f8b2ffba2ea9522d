// Which vision families import and run: one small model per family, built with torchvision's
// own classes (or, for families it lacks, the usual PyTorch formulation) and exported to ONNX at
// test time by scripts/vision_fixtures.py, is imported with loadOnnx and run on WebGPU and on
// the CPU reference; every output must equal PyTorch's within 1e-3 of the output's scale
// (max |PyTorch output|). Families that need ops webcnn lacks are `it.fails`, each with the op
// that stops it: such a test fails the suite as soon as the family runs, so the list stays true.
// Without PyTorch (Debian's python3-torch, which scripts/setup.mjs installs) the file fails,
// saying so; it never skips.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from 'webcnn';
import { loadOnnx } from 'webcnn/onnx';
import { readNpy } from '../src/io/npy.js';
import { cpu, gpuIt } from './helpers/gpu.js';
import { expectClose, scaleTolerance } from './helpers/compare.js';
import { visionFixtures, type VisionFixture } from './helpers/vision_fixtures.js';

/** Relative to max |PyTorch output|, as the coverage issue asks. */
const RTOL = 1e-3;

/**
 * Every family scripts/vision_fixtures.py exports, and for those that do not run yet, what
 * stops them: every op, attribute or operand kind in its export that the importer lacks (the
 * first is what its OnnxError names; the rest were found by running it with the first added).
 * When `fails` is removed, the family's name in docs/onnx.md's table says "yes" too.
 */
const FAMILIES: Record<string, { fails?: string }> = {
  mobilenet_v3_small: {},
  mobilenet_v3_large: {},
  lraspp_mobilenet_v3: {},
  deeplabv3_mobilenet_v3: {},
  shufflenet_v2: {},
  convnext: {},
  convnext_opset13: {},
  yolo_head: {},
  mnasnet: {},
  fcn_resnet: {},
  deeplabv3_resnet: {},
  unet: {},
  style_transfer: {},
  espcn: {},
  alexnet: {},
  vgg: {},
  resnet: {},
  resnext: {},
  wide_resnet: {},
  densenet: {},
  squeezenet: {},
  inception_v3: {},
  googlenet: {},
  mobilenet_v2: {},
  efficientnet_b0: {},
  efficientnet_v2: {},
  regnet_x: {},
  regnet_y: {},
};

const generated = await visionFixtures();

function npy(dir: string, file: string): Float32Array {
  return readNpy(new Uint8Array(readFileSync(join(dir, file))), file).data as Float32Array;
}

/** Imports the family's model on `backend`, runs PyTorch's input and compares every output. */
async function runFamily(dir: string, f: VisionFixture, backend: Backend): Promise<void> {
  const model = await loadOnnx(new Uint8Array(readFileSync(join(dir, `${f.name}.onnx`))), { backend, label: `${f.name}.onnx` });
  try {
    expect(model.onnx.outputs).toEqual(f.outputs.map((o) => o.name));
    const got = await model.predictAll([npy(dir, `${f.name}.input.npy`)]);
    f.outputs.forEach((o, k) => {
      const want = npy(dir, o.file);
      expectClose(got[k], want, scaleTolerance(want, RTOL), `${f.name} ${o.name} (${backend.name})`, o.shape);
    });
  } finally {
    model.dispose();
  }
}

if ('missing' in generated) {
  // npm test's set-up installs PyTorch: without it this is a failure, never a skip.
  it('PyTorch is installed to generate the vision fixtures', () => {
    expect.fail(generated.missing);
  });
} else {
  const { dir, fixtures } = generated;

  it('the script exports exactly the families listed here', () => {
    expect(fixtures.map((f) => f.name).sort()).toEqual(Object.keys(FAMILIES).sort());
  });

  describe.each(fixtures.map((f) => ({ ...f, title: `${f.name} (${f.family}, opset ${f.opset})` })))('$title', (f) => {
    const { fails } = FAMILIES[f.name] ?? {};
    const cpuTest = fails ? it.fails : it;
    const gpuTest = fails ? gpuIt.fails : gpuIt;
    gpuTest(`WebGPU equals PyTorch${fails ? ` (fails today: ${fails})` : ''}`, (gpu) => runFamily(dir, f, gpu), 300_000);
    cpuTest(`the CPU reference equals PyTorch${fails ? ` (fails today: ${fails})` : ''}`, () => runFamily(dir, f, cpu), 300_000);
  });
}
