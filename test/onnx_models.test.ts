// Models exported from PyTorch (scripts/onnx_fixtures.py, random weights) imported with
// loadOnnx and run on WebGPU and on the CPU reference: outputs equal PyTorch's at rtol 1e-3.
// Covers residual blocks with the Shape→Gather→Unsqueeze→Concat→Reshape flatten, an Inception
// concat block, depthwise convolution with ReLU6, batch norm (folded into convs and standalone),
// LRN with overlapping ceil-mode pooling, grouped/dilated convolution with explicit padding, and a
// MobileNetV3 block (hardswish, squeeze-and-excitation gated by hardsigmoid).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CpuBackend } from 'webcnn';
import { loadOnnx } from 'webcnn/onnx';
import { readNpy } from '../src/io/npy.js';
import { gpuIt, getGpu } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';

const dir = new URL('./fixtures/onnx/', import.meta.url);
const read = (f: string) => new Uint8Array(readFileSync(new URL(f, dir)));
const npy = (f: string) => {
  const a = readNpy(read(f), f);
  return { shape: a.shape, data: a.data as Float32Array };
};
const TOL = { atol: 1e-4, rtol: 1e-3 };

const MODELS: Record<string, { ops: string[]; fusions?: number }> = {
  residual: { ops: ['conv2d', 'add', 'globalPool', 'reshape', 'dense'], fusions: 5 },
  inception: { ops: ['conv2d', 'concat', 'pool2d'] },
  depthwise: { ops: ['conv2d', 'batchNorm'], fusions: 3 },
  batchnorm: { ops: ['conv2d', 'batchNorm', 'pool2d', 'flatten', 'dense'] },
  lrn: { ops: ['conv2d', 'lrn', 'pool2d'] },
  grouped: { ops: ['conv2d', 'globalPool', 'flatten', 'dense', 'softmax'] },
  mobile_block: { ops: ['conv2d', 'mul', 'add', 'globalPool', 'activation', 'dense'] },
};

describe('PyTorch exports', () => {
  for (const [name, want] of Object.entries(MODELS)) {
    gpuIt(`${name}: WebGPU equals PyTorch`, async (gpu) => {
      const x = npy(`${name}.input.npy`);
      const y = npy(`${name}.output.npy`);
      const model = await loadOnnx(read(`${name}.onnx`), { backend: gpu, label: `${name}.onnx` });
      try {
        const types = new Set(model.graph.nodes.map((n) => n.layer.type));
        for (const t of want.ops) expect(types, `${name} has a ${t} layer`).toContain(t);
        expect(model.onnx.outputs).toEqual(['output']);
        expect(model.outputShapes(x.shape[0])[0]).toEqual(y.shape);
        if (want.fusions) expect(model.fusions().filter((f) => /→/.test(f)).length).toBeGreaterThanOrEqual(want.fusions);
        const got = await model.predict(x.data);
        expectClose(got, y.data, TOL, `${name} (webgpu)`, y.shape);
      } finally {
        model.dispose();
      }
    }, 600_000); // first use compiles each GEMM pipeline: 0.5–1 s apiece on SwiftShader, far more on a loaded machine

    it(`${name}: the CPU reference equals PyTorch`, async () => {
      const x = npy(`${name}.input.npy`);
      const y = npy(`${name}.output.npy`);
      const model = await loadOnnx(read(`${name}.onnx`), { backend: new CpuBackend() });
      expectClose(await model.predict(x.data), y.data, TOL, `${name} (cpu)`, y.shape);
    });
  }

  gpuIt('a model exported with a dynamic batch runs other batch sizes', async (gpu) => {
    const x = npy('residual.input.npy');
    const y = npy('residual.output.npy');
    const model = await loadOnnx(read('residual.onnx'), { backend: gpu });
    try {
      expect(model.onnx.inputs[0].shape).toEqual([1, 3, 12, 12]);
      const per = x.data.length / x.shape[0];
      const one = await model.predict(x.data.subarray(per, 2 * per));
      expectClose(one, y.data.subarray(10, 20), TOL, 'residual, second sample alone');
      const three = new Float32Array(3 * per);
      three.set(x.data, 0);
      three.set(x.data.subarray(0, per), 2 * per);
      const got = await model.predict(three);
      expectClose(got.subarray(0, 20), y.data, TOL, 'residual batch 3');
      expectClose(got.subarray(20), y.data.subarray(0, 10), TOL, 'residual batch 3, repeated sample');
    } finally {
      model.dispose();
    }
  });

  it('the shape subgraph of a PyTorch flatten is folded away at import', async () => {
    await getGpu();
    const model = await loadOnnx(read('residual.onnx'), { backend: new CpuBackend() });
    const types = model.graph.nodes.map((n) => n.layer.type);
    // Shape, Gather, Unsqueeze, Concat and the Constant nodes leave no layer behind.
    expect(types.filter((t) => t === 'concat')).toEqual([]);
    expect(types.filter((t) => t === 'reshape').length).toBe(1);
    expect(model.onnx.onnxNodes).toBeGreaterThan(model.onnx.layers);
  });
});
