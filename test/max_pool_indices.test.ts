// maxPoolIndices (ONNX MaxPool's Indices output): GPU vs the CPU reference over many windows
// (odd sizes, strides, padding, dilation, ceil mode, batch > 1, both storage orders, ties);
// the CPU twin against its definition (the value at each index is the max pool's output);
// ONNX's own node tests; a 1-D MaxPool with both outputs; inputs too large for
// exact float32 indices are refused.
import { describe, it, expect } from 'vitest';
import { Model, input, apply, CpuBackend, ShapeError, type Backend, type Pool2dParams } from 'webcnn';
import { importOnnx } from 'webcnn/onnx';
import { gpuIt } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';
import { nodeTests, runNodeTest } from './helpers/onnx_node.js';
import { INT64, encodeModel } from './helpers/onnx_encoder.js';

/** Indices are integers, chosen by comparisons only: exact. */
const EXACT = { atol: 0, rtol: 0 };
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

type Window = Omit<Pool2dParams, 'type' | 'countIncludePad' | 'name'>;
const CASES: [number[], Window][] = [
  [[1, 1, 4, 4], { kernelSize: 2 }],
  [[3, 3, 9, 7], { kernelSize: 3, stride: 2 }],
  [[2, 5, 13, 11], { kernelSize: 3, stride: 2, padding: 1 }],
  [[1, 3, 11, 10], { kernelSize: 5, stride: 3, padding: 2 }],
  [[2, 3, 9, 11], { kernelSize: [2, 3], stride: [2, 1] }],
  [[1, 5, 8, 8], { kernelSize: 3, stride: 2, ceilMode: true }],
  [[2, 3, 7, 9], { kernelSize: 2, stride: 2, padding: 'same' }],
  [[1, 3, 10, 9], { kernelSize: 3, stride: 2, padding: [0, 1, 1, 0] }],
  [[3, 2, 6, 7], { kernelSize: 3, stride: 1, padding: 2 }],
  [[2, 2, 9, 10], { kernelSize: 2, stride: 1, dilation: [2, 3] }],
  [[1, 4, 1, 17], { kernelSize: [1, 3], stride: [1, 2], padding: [0, 1, 0, 1] }],
];

function indicesModel(backend: Backend, shape: readonly number[], window: Window, columnMajor: boolean): Model {
  const x = input({ shape: ['N', ...shape.slice(1)], name: 'x' });
  const y = apply({ type: 'maxPoolIndices', ...window, ...(columnMajor ? { columnMajor } : {}) }, x, 'indices');
  return new Model({ inputs: x, outputs: y, name: 'maxPoolIndices', backend });
}

function maxPoolModel(shape: readonly number[], window: Window): Model {
  const x = input({ shape: ['N', ...shape.slice(1)], name: 'x' });
  return new Model({ inputs: x, outputs: apply({ type: 'pool2d', pool: 'max', ...window }, x, 'pool'), name: 'maxPool', backend: new CpuBackend() });
}

describe('maxPoolIndices', () => {
  const rng = new Rng(31);
  for (const [shape, window] of CASES) {
    for (const columnMajor of [false, true]) {
      gpuIt(`${JSON.stringify(shape)} ${JSON.stringify(window)}${columnMajor ? ' column-major' : ''}: GPU equals CPU, and the value at each index is the max pool's`, async (gpu) => {
        // Values on a coarse grid, so windows hold ties (the first in row-major order wins).
        const x = Float32Array.from(rng.uniform(size(shape)), (v) => Math.round(v * 4) / 4);
        const batch = shape[0];
        const onCpu = indicesModel(new CpuBackend(), shape, window, columnMajor);
        const ref = await onCpu.predict(x, batch);
        const maxes = await maxPoolModel(shape, window).predict(x, batch);
        const [, , h, w] = shape;
        ref.forEach((at, i) => {
          expect(Number.isInteger(at) && at >= 0 && at < x.length).toBe(true);
          const plane = Math.floor(at / (h * w));
          const inPlane = at - plane * h * w;
          const [iy, ix] = columnMajor ? [inPlane % h, Math.floor(inPlane / h)] : [Math.floor(inPlane / w), inPlane % w];
          expect(x[plane * h * w + iy * w + ix]).toBe(maxes[i]);
        });
        const onGpu = indicesModel(gpu, shape, window, columnMajor);
        expectClose(await onGpu.predict(x, batch), ref, EXACT, 'maxPoolIndices');
        onGpu.dispose();
      });
    }
  }

  it('of equal values the first in the window wins; a NaN wins over any number', async () => {
    const m = indicesModel(new CpuBackend(), [1, 1, 2, 4], { kernelSize: 2 }, false);
    expect([...(await m.predict(Float32Array.of(1, 3, 2, 0, 3, 3, NaN, 2)))]).toEqual([1, 6]);
  });

  it('refuses inputs whose flat indices float32 cannot hold exactly, naming the layer', () => {
    const m = indicesModel(new CpuBackend(), [1, 2, 4096, 2049], { kernelSize: 2 }, false);
    expect(() => m.outputShapes(1)).toThrow(ShapeError);
    expect(() => m.outputShapes(1)).toThrow(/maxPoolIndices 'indices': input \[1,2,4096,2049\] has 16785408 elements; indices above 2\^24 are not exact in float32/);
  });
});

describe('ONNX MaxPool with its Indices output', () => {
  const names = nodeTests(['maxpool_with_argmax']);
  it('the node tests exist', () => expect(names.length).toBeGreaterThanOrEqual(2));
  for (const name of names) {
    gpuIt(`${name} passes on the CPU and the GPU`, async (gpu) => {
      for (const backend of [new CpuBackend(), gpu] as Backend[]) expect(await runNodeTest(name, backend, EXACT)).toBeNull();
    });
  }

  gpuIt('1-D MaxPool with both outputs, storage orders 0 and 1, and a symbolic batch', async (gpu) => {
    const x = Float32Array.of(1, 5, 2, 2, 7, 0, -1, 4, 4, 3, /* second channel */ 0, 0, 1, 9, 9, 2, 3, 8, 1, 1);
    for (const order of [0, 1]) {
      const bytes = encodeModel({
        nodes: [{ op: 'MaxPool', inputs: ['x'], outputs: ['y', 'i'], attrs: { kernel_shape: [3], strides: [2], pads: [1, 1], storage_order: order } }],
        inputs: [{ name: 'x', dims: ['N', 2, 10] }],
        outputs: [{ name: 'y', dims: [] }, { name: 'i', type: INT64, dims: [] }],
      });
      for (const backend of [new CpuBackend(), gpu] as Backend[]) {
        const model = importOnnx(bytes, { backend });
        const [y, i] = await model.predictAll([x], 1);
        expect(model.outputShapes(1)).toEqual([[1, 2, 5], [1, 2, 5]]);
        expect([...y]).toEqual([5, 5, 7, 4, 4, 0, 9, 9, 8, 8]);
        expect([...i]).toEqual([1, 1, 4, 7, 7, 10, 13, 13, 17, 17]);
        // Batch 2: the second sample's indices count from its first element (20).
        const [, i2] = await model.predictAll([Float32Array.from([...x, ...x])], 2);
        expect([...i2]).toEqual([...i, ...[...i].map((v) => v + 20)]);
        model.dispose();
      }
    }
  });
});
