/**
 * WebGPU in Node through Dawn (npm `webgpu`). On a Linux machine without a GPU, Dawn finds
 * no Vulkan device; if SwiftShader (shipped by Debian's `chromium` package) is installed we
 * point the Vulkan loader at it and ask again.
 */
import { WebGpuUnavailableError } from '../errors.js';

/** Where Debian's chromium package puts SwiftShader's Vulkan ICD manifest. */
export const SWIFTSHADER_ICD_CANDIDATES = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
];

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

export interface NodeGpu {
  gpu: GPU;
  adapter: GPUAdapter;
  /** True when we had to point Dawn at SwiftShader ourselves. */
  usedSwiftShader: boolean;
}

export function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/**
 * Dawn's GPU instances, kept alive for the life of the process: if the instance is garbage
 * collected while its devices are in use, Dawn crashes. Held on globalThis because a bundler
 * drops a module-level array that is only ever written (which is how this bug came back once).
 */
const INSTANCES = Symbol.for('webcnn.dawnInstances');
function keepAlive(gpu: GPU): void {
  const g = globalThis as unknown as Record<symbol, GPU[] | undefined>;
  (g[INSTANCES] ??= []).push(gpu);
}

/**
 * Whether the Vulkan loader has a driver to try: an ICD manifest in one of the directories it
 * searches (the Vulkan loader's documented Linux search path), or one named by the environment.
 */
function vulkanDriverConfigured(fs: typeof import('node:fs')): boolean {
  if (process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES || process.env.VK_ADD_DRIVER_FILES) return true;
  const dataDirs = (process.env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':');
  const configDirs = (process.env.XDG_CONFIG_DIRS || '/etc/xdg').split(':');
  const home = process.env.XDG_DATA_HOME || (process.env.HOME ? `${process.env.HOME}/.local/share` : '');
  const dirs = [...configDirs, '/etc', ...dataDirs, home].filter(Boolean).map((d) => `${d}/vulkan/icd.d`);
  return dirs.some((d) => {
    try {
      return fs.readdirSync(d).some((f) => f.endsWith('.json'));
    } catch {
      return false;
    }
  });
}

export async function requestNodeAdapter(options: GPURequestAdapterOptions): Promise<NodeGpu> {
  // Hidden from bundlers: the browser build never pulls in Dawn.
  const name = 'webgpu';
  let dawn: DawnModule;
  try {
    dawn = (await import(/* @vite-ignore */ name)) as DawnModule;
  } catch (e) {
    throw new WebGpuUnavailableError(
      `WebGPU in Node needs the npm package 'webgpu' (Dawn): run 'npm install webgpu' (${(e as Error).message})`,
    );
  }
  for (const [k, v] of Object.entries(dawn.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  // Hidden from bundlers too, so that an app's browser build does not warn about node:fs.
  const fsName = 'node:fs';
  const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs');
  const { existsSync } = fs;
  const icd = SWIFTSHADER_ICD_CANDIDATES.find((p) => existsSync(p));
  // A Linux machine with no Vulkan driver at all: go straight to SwiftShader. Asking Dawn first
  // would only fail, and Dawn prints that failure on stderr (two lines and a path of its build
  // machine), which a command-line tool must not show when it then succeeds.
  const direct = process.platform === 'linux' && icd !== undefined && !vulkanDriverConfigured(fs);
  if (direct) process.env.VK_ICD_FILENAMES = icd;
  let gpu = dawn.create([]);
  keepAlive(gpu);
  let adapter = await gpu.requestAdapter(options);
  if (adapter) return { gpu, adapter, usedSwiftShader: direct };

  if (!direct && !process.env.VK_ICD_FILENAMES && icd) {
    process.env.VK_ICD_FILENAMES = icd;
    gpu = dawn.create([]);
    keepAlive(gpu);
    adapter = await gpu.requestAdapter(options);
    if (adapter) return { gpu, adapter, usedSwiftShader: true };
  }
  const vulkanLoader = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'].some((p) =>
    existsSync(p),
  );
  const hint =
    process.platform === 'linux'
      ? !icd
        ? "no GPU driver was found and SwiftShader is not installed: install a GPU driver, or Debian's 'chromium' and 'libvulkan1' packages for the software adapter (npm test does this when run as root)"
        : !vulkanLoader
          ? "the Vulkan loader is missing: install Debian's 'libvulkan1' package"
          : `SwiftShader at ${icd} did not give an adapter (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? ''})`
      : 'no GPU adapter was found: update the GPU driver';
  throw new WebGpuUnavailableError(`No WebGPU adapter in Node: ${hint}.`);
}
