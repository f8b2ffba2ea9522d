/**
 * `npm run bench -- --gpu`: the same benchmark on a real GPU, in one command on the first machine
 * that has one. Chromium is started to use the hardware adapter (Vulkan on Linux, the GPU
 * blocklist ignored), Node's Dawn adapter is printed beside it, a software or fallback adapter
 * is refused instead of being reported as a GPU result, and the results go to
 * bench/results/<vendor>-<architecture>/, beside the SwiftShader ones in bench/results/.
 */
import type { AdapterReport } from './report.js';

/** Chromium flags for the hardware adapter (the default run pins nothing: SwiftShader is all there is). */
export const GPU_CHROMIUM_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan,WebGPUDeveloperFeatures', '--use-vulkan=native', '--ignore-gpu-blocklist', '--enable-gpu'];

/** A folder name for an adapter: vendor and architecture (or description), lower-case, safe in a path. */
export function adapterSlug(a: Pick<AdapterReport, 'vendor' | 'architecture' | 'description' | 'device'>): string {
  const parts = [a.vendor, a.architecture || a.description || a.device].filter((p) => p && p.length > 0);
  const slug = parts.join('-').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return slug || 'unknown-gpu';
}

/** Why `a` must not be reported as a GPU result, or null when it is a hardware adapter. */
export function refuseSoftware(a: Pick<AdapterReport, 'vendor' | 'architecture' | 'description' | 'isSoftware'>, where: string): string | null {
  if (!a.isSoftware) return null;
  const what = [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') || 'unknown';
  return `--gpu: ${where} got a software adapter (${what}), not a GPU; refusing to report it as a GPU result. Check the GPU driver (Vulkan on Linux: vulkaninfo), or run without --gpu for the software-adapter benchmark`;
}

/** Node's own adapter (Dawn from the webgpu package), to print beside Chromium's. */
export async function nodeAdapter(): Promise<AdapterReport | { error: string }> {
  try {
    const { createBackend } = await import('../src/index.js');
    const { backend } = await createBackend({ backend: 'webgpu' });
    const info = (backend as unknown as { ctx: { info: AdapterReport } }).ctx.info;
    backend.dispose();
    return { ...info };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
