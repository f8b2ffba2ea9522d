/**
 * `webcnn info`: the WebGPU adapter this machine gives (Dawn in Node, SwiftShader when there is
 * no GPU), with the features and limits webcnn runs with. The device is destroyed before
 * returning: Dawn would otherwise keep the process alive.
 */
import { acquireDevice, type GpuContext, type LimitName } from '../device/device.js';

export interface InfoFlags {
  json?: boolean;
}

/** The limits that decide how kernels tile and split, in the order `info` prints them. */
export const KEY_LIMITS: readonly LimitName[] = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
];

/** The `--json` output. */
export interface DeviceReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isSoftware: boolean;
  runtime: GpuContext['runtime'];
  features: string[];
  limits: Record<string, number>;
}

export function deviceReport(ctx: GpuContext): DeviceReport {
  return {
    ...ctx.info,
    runtime: ctx.runtime,
    features: [...ctx.features].sort(),
    limits: Object.fromEntries(KEY_LIMITS.map((name) => [name, ctx.limits[name]])),
  };
}

export function formatDeviceReport(r: DeviceReport): string {
  const rows: [string, string][] = [
    ['vendor', r.vendor],
    ['architecture', r.architecture],
    ['device', r.device],
    ['description', r.description],
    ['software adapter', r.isSoftware ? 'yes' : 'no'],
    ['runtime', r.runtime],
    ['features', r.features.length > 0 ? r.features.join(', ') : '(none)'],
    ...Object.entries(r.limits).map(([k, v]): [string, string] => [k, v.toLocaleString('en-US')]),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v || '(not reported)'}`).join('\n');
}

/** What `webcnn info` prints. Throws WebGpuUnavailableError, with what to do, when there is no adapter. */
export async function runInfo(flags: InfoFlags): Promise<string> {
  const ctx = await acquireDevice();
  try {
    const report = deviceReport(ctx);
    return flags.json ? JSON.stringify(report) : formatDeviceReport(report);
  } finally {
    ctx.device.destroy();
  }
}
