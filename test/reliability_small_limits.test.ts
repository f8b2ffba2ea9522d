// Reliability on small devices: every kernel family picks a configuration that fits the
// device's actual limits. The zoo (LeNet-5, ResNet-18, MobileNetV2 and GoogLeNet at 32×32) and
// ONNX fixtures run equal to the CPU reference on a device created with WebGPU's default limits
// (`requestDevice({})`, which Dawn enforces: 256 invocations, 16 KiB of workgroup memory, 8
// storage buffers per stage), and on one whose limits are lowered below them
// (`limitOverrides`: 128 invocations, as WebGPU's compatibility mode, and 8 KiB of workgroup
// memory). Lowered limits are a view: the runtime checks every dispatch's workgroup against
// them (`checkWorkgroupSize`) and conv2d and matmul pick tiles within them, so a kernel that
// ignored them would fail here with a LimitExceededError naming it.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { createModel, CpuBackend, WebGpuBackend, LimitExceededError, type GpuError, type Model, type WebGpuBackendOptions } from 'webcnn';
import { loadOnnx } from 'webcnn/onnx';
import { readNpy } from '../src/io/npy.js';
import { requestNodeAdapter } from '../src/device/node.js';
import { conv2dTuningForLimits, selectConv2dTile, conv2dTileFits } from '../src/backends/webgpu/kernels/conv2d.js';
import { CONV2D_TUNING } from '../src/backends/webgpu/tuning.js';
import { flatWorkgroup, checkWorkgroupSize, type KernelSpec } from '../src/backends/webgpu/program.js';
import { inErrorScopes, counts, getGpu } from './helpers/gpu.js';
import { expectClose, scaleTolerance } from './helpers/compare.js';
import { lcgImage } from './helpers/bits.js';

const LOWERED = { maxComputeInvocationsPerWorkgroup: 128, maxComputeWorkgroupStorageSize: 8192 } as const;

/** A backend on a device created with WebGPU's default limits, on the same adapter as the shared one. */
async function defaultLimitsBackend(onError: (e: GpuError) => void): Promise<WebGpuBackend> {
  const shared = (await getGpu()).ctx;
  const { adapter } = await requestNodeAdapter({}); // an adapter makes one device: a fresh one
  const device = await adapter.requestDevice({});
  const context = { ...shared, adapter, device, limits: device.limits as typeof shared.limits, features: new Set<string>(), lost: device.lost };
  const be = await WebGpuBackend.create({ context, onUncapturedError: onError });
  expect(be.limits.maxComputeInvocationsPerWorkgroup).toBe(256);
  expect(be.limits.maxComputeWorkgroupStorageSize).toBe(16384);
  return be;
}

const SETUPS: [string, (onError: (e: GpuError) => void) => Promise<WebGpuBackend>, () => void][] = [
  ['default limits', defaultLimitsBackend, () => undefined],
  ['128 invocations, 8 KiB workgroup memory', (onError) => WebGpuBackend.create({ limitOverrides: LOWERED, onUncapturedError: onError } as WebGpuBackendOptions), () => undefined],
];

async function withBackend(make: (onError: (e: GpuError) => void) => Promise<WebGpuBackend>, fn: (be: WebGpuBackend) => Promise<void>): Promise<void> {
  counts.gpuTests++;
  const errors: string[] = [];
  const be = await make((e) => errors.push(e.message));
  try {
    await inErrorScopes(be, () => fn(be));
  } finally {
    be.dispose();
  }
  expect(errors).toEqual([]);
}

const cpu = new CpuBackend();
const ZOO: [Parameters<typeof createModel>[0], number][] = [
  ['lenet5', 32],
  ['resnet18', 32],
  ['mobilenet_v2', 32],
  ['googlenet', 32],
];

async function sameAsCpu(make: (be: WebGpuBackend | CpuBackend) => Promise<Model> | Model, be: WebGpuBackend, x: Float32Array, label: string): Promise<void> {
  const onGpu = await make(be);
  const onCpu = await make(cpu);
  try {
    const want = await onCpu.predict(x);
    counts.comparisons++;
    // A whole network: relative to the output's scale (its small values are cancelled sums).
    expectClose(await onGpu.predict(x), want, scaleTolerance(want, 2e-4), label);
  } finally {
    onGpu.dispose();
    onCpu.dispose();
  }
}

const onnxDir = new URL('./fixtures/onnx/', import.meta.url);
const readFixture = (f: string) => new Uint8Array(readFileSync(new URL(f, onnxDir)));

describe('the zoo and ONNX fixtures fit the device they get', () => {
  for (const [setup, make] of SETUPS) {
    it(`${setup}: ${ZOO.map(([n]) => n).join(', ')} at 32×32 equal the CPU`, async () => {
      await withBackend(make, async (be) => {
        for (const [name, size] of ZOO) {
          const build = (b: WebGpuBackend | CpuBackend) => createModel(name, { backend: b, seed: 1, numClasses: 10, ...(name === 'lenet5' ? {} : { inputSize: size }) });
          const channels = name === 'lenet5' ? 1 : 3;
          await sameAsCpu(build, be, lcgImage(channels * size * size, 7), `${name} (${setup})`);
        }
      });
    }, 900_000);

    it(`${setup}: ONNX fixtures (inception, mobile_block) equal the CPU`, async () => {
      await withBackend(make, async (be) => {
        for (const name of ['inception', 'mobile_block']) {
          const x = readNpy(readFixture(`${name}.input.npy`), name).data as Float32Array;
          await sameAsCpu((b) => loadOnnx(readFixture(`${name}.onnx`), { backend: b }), be, x, `${name}.onnx (${setup})`);
        }
      });
    }, 900_000);
  }
});

describe('choices within the limits', () => {
  const limits = (over: Partial<GPUSupportedLimits>) =>
    ({ maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256, maxComputeWorkgroupSizeY: 256, maxComputeWorkgroupSizeZ: 64, maxComputeWorkgroupStorageSize: 16384, ...over }) as GPUSupportedLimits;

  it('conv2d keeps only the GEMM tiles that fit, and still picks the least cost among them', () => {
    const tuning = CONV2D_TUNING.default;
    expect(conv2dTuningForLimits(tuning, limits({}))).toBe(tuning);
    const small = conv2dTuningForLimits(tuning, limits(LOWERED));
    expect(small.gemm.length).toBeGreaterThan(0);
    expect(small.gemm.length).toBeLessThan(tuning.gemm.length);
    for (const e of small.gemm) expect(conv2dTileFits(e.tile, limits(LOWERED)), e.name).toBe(true);
    // A big layer takes the square 256-invocation tile at the defaults, a fitting one below them.
    expect(selectConv2dTile(tuning, 256, 4096).name).toBe('wide');
    const picked = selectConv2dTile(small, 256, 4096).tile;
    expect(picked.wgX * picked.wgY).toBeLessThanOrEqual(128);
    expect(() => conv2dTuningForLimits(tuning, limits({ maxComputeInvocationsPerWorkgroup: 8 }))).toThrow(LimitExceededError);
    expect(() => conv2dTuningForLimits(tuning, limits({ maxComputeInvocationsPerWorkgroup: 8 }))).toThrow(
      'conv2d: no GEMM tiling fits this device (maxComputeInvocationsPerWorkgroup 8, maxComputeWorkgroupStorageSize 16384)',
    );
  });

  it('flat kernels take 256 invocations, or the largest power of two the device allows', () => {
    expect(flatWorkgroup(limits({}))).toBe(256);
    expect(flatWorkgroup(limits({ maxComputeInvocationsPerWorkgroup: 128 }))).toBe(128);
    expect(flatWorkgroup(limits({ maxComputeInvocationsPerWorkgroup: 200 }))).toBe(128);
    expect(flatWorkgroup(limits({ maxComputeWorkgroupSizeX: 64 }))).toBe(64);
  });

  it("a dispatch whose workgroup exceeds the limits is refused naming the kernel (the entry point's size, with its overrides or their defaults)", () => {
    const kernel: KernelSpec = {
      name: 'k',
      code: 'override WG: u32 = 256u;\noverride WG_X: u32 = 8u;\n@compute @workgroup_size(WG)\nfn a() {}\n@compute @workgroup_size(WG_X, 32)\nfn b() {}',
      entryPoint: 'a',
      bindings: [],
    };
    const small = limits({ maxComputeInvocationsPerWorkgroup: 128 });
    expect(() => checkWorkgroupSize({ kernel, overrides: {}, workgroups: [1, 1, 1], label: "relu 'r'" }, small)).toThrow(
      "relu 'r': a 256×1×1 workgroup (k:a) exceeds this device's limits (maxComputeInvocationsPerWorkgroup 128, maxComputeWorkgroupSize 256×256×64)",
    );
    expect(() => checkWorkgroupSize({ kernel, overrides: { WG: 128 }, workgroups: [1, 1, 1] }, small)).not.toThrow();
    const b = { ...kernel, entryPoint: 'b' };
    expect(() => checkWorkgroupSize({ kernel: b, overrides: {}, workgroups: [1, 1, 1] }, small)).toThrow(/a 8×32×1 workgroup \(k:b\)/);
    expect(() => checkWorkgroupSize({ kernel: b, overrides: { WG_X: 4 }, workgroups: [1, 1, 1] }, small)).not.toThrow();
  });
});
