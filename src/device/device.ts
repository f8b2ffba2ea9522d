/**
 * Device acquisition: one place that turns "I want a GPU" into a `GPUDevice`, in the browser
 * (`navigator.gpu`) or in Node (Dawn), with the limits we need, the optional features we can
 * use, and a clear error when there is none.
 */
import { WebGpuUnavailableError, GpuError } from '../errors.js';
import { isNode, requestNodeAdapter } from './node.js';

/** Optional features requested when the adapter has them. */
export const OPTIONAL_FEATURES: readonly GPUFeatureName[] = ['timestamp-query', 'shader-f16', 'subgroups'];

/** Limits raised to the adapter's maximum (the defaults are smaller than most adapters'). */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupsPerDimension',
] as const;

export type LimitName = (typeof RAISED_LIMITS)[number];

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Whether this is a software rasterizer (SwiftShader, WARP, lavapipe). */
  isSoftware: boolean;
}

export interface DeviceOptions {
  powerPreference?: GPUPowerPreference;
  /** Lower (never raise) limits, e.g. to test splitting paths as if on a smaller GPU. */
  limitOverrides?: Partial<Record<LimitName, number>>;
  /** Features to skip even if present (e.g. to test the path without `timestamp-query`). */
  disableFeatures?: readonly GPUFeatureName[];
  /** Called for errors no error scope caught. Default: log once per message to console.error. */
  onUncapturedError?: (error: GpuError) => void;
}

export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapter: GPUAdapter;
  readonly info: AdapterSummary;
  /** The limits in force: the device's, lowered by `limitOverrides`. */
  readonly limits: Readonly<Record<LimitName, number>> & GPUSupportedLimits;
  readonly features: ReadonlySet<string>;
  /** Resolves when the device is lost; `reason` is 'destroyed' after our own `destroy()`. */
  readonly lost: Promise<GPUDeviceLostInfo>;
  /** Where the adapter came from. */
  readonly runtime: 'browser' | 'node-dawn' | 'node-dawn-swiftshader';
}

function summarize(info: GPUAdapterInfo): AdapterSummary {
  const vendor = info.vendor ?? '';
  const architecture = info.architecture ?? '';
  const description = info.description ?? '';
  const text = `${vendor} ${architecture} ${description}`.toLowerCase();
  return {
    vendor,
    architecture,
    device: info.device ?? '',
    description,
    isSoftware: /swiftshader|warp|lavapipe|llvmpipe|software/.test(text),
  };
}

/** Devices webcnn acquired that are not yet destroyed or lost. */
const LIVE_DEVICES = new Set<GPUDevice>();

/**
 * How many GPU devices webcnn holds right now: each engine, backend or model that acquired one
 * and has not been disposed. A device is counted until its `lost` promise settles, which
 * `destroy()` brings about at once but reports asynchronously: await a macrotask after
 * disposing before reading it. For leak checks and diagnostics.
 */
export function liveDeviceCount(): number {
  return LIVE_DEVICES.size;
}

/** Acquires an adapter and a device. Throws `WebGpuUnavailableError` saying what to do. */
export async function acquireDevice(options: DeviceOptions = {}): Promise<GpuContext> {
  const reqOptions: GPURequestAdapterOptions = { powerPreference: options.powerPreference ?? 'high-performance' };
  let adapter: GPUAdapter | null;
  let runtime: GpuContext['runtime'];
  if (typeof navigator !== 'undefined' && 'gpu' in navigator && navigator.gpu) {
    adapter = await navigator.gpu.requestAdapter(reqOptions);
    runtime = 'browser';
    if (!adapter) {
      throw new WebGpuUnavailableError(
        'The browser exposes WebGPU but gave no adapter: the GPU may be blocklisted or disabled; try chrome://gpu, or enable WebGPU (--enable-unsafe-webgpu).',
      );
    }
  } else if (isNode()) {
    const got = await requestNodeAdapter(reqOptions);
    adapter = got.adapter;
    runtime = got.usedSwiftShader ? 'node-dawn-swiftshader' : 'node-dawn';
  } else {
    const secure = typeof globalThis.isSecureContext === 'boolean' ? globalThis.isSecureContext : true;
    throw new WebGpuUnavailableError(
      secure
        ? 'This browser has no WebGPU (navigator.gpu is missing): use a current Chrome, Edge or Safari, or the wasm backend.'
        : 'WebGPU needs a secure context: serve the page over https or from http://localhost, not file:// or a plain-http address.',
    );
  }

  const disabled = new Set(options.disableFeatures ?? []);
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f) && !disabled.has(f));
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const max = adapter.limits[name];
    if (typeof max === 'number') requiredLimits[name] = max;
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  } catch (e) {
    throw new WebGpuUnavailableError(`The adapter refused to create a device: ${(e as Error).message}`);
  }

  LIVE_DEVICES.add(device);
  void device.lost.then(() => LIVE_DEVICES.delete(device));

  const limits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const have = device.limits[name];
    const want = options.limitOverrides?.[name];
    limits[name] = want !== undefined ? Math.min(want, have) : have;
  }
  const limitsView = new Proxy(device.limits, {
    get: (target, prop) => (typeof prop === 'string' && prop in limits ? limits[prop] : Reflect.get(target, prop)),
  }) as GpuContext['limits'];

  const seen = new Set<string>();
  const onUncaptured =
    options.onUncapturedError ??
    ((err: GpuError) => {
      if (seen.has(err.message)) return;
      seen.add(err.message);
      console.error(err.message);
    });
  device.addEventListener('uncapturederror', (ev) => {
    const e = (ev as GPUUncapturedErrorEvent).error;
    onUncaptured(new GpuError(`Uncaptured WebGPU ${e.constructor.name}: ${e.message}`));
  });

  return {
    device,
    adapter,
    info: summarize(adapter.info),
    limits: limitsView,
    features: new Set([...device.features].map(String)),
    lost: device.lost,
    runtime,
  };
}
