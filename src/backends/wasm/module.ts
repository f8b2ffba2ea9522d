/**
 * The compiled WebAssembly kernels (wasm/*.ts, built by scripts/build-wasm.mjs into this folder):
 * `kernels.wasm` for one thread on an ordinary memory, `kernels-threads.wasm` for a shared
 * memory. Each is imported as a module of its own (Vite's `?url&inline`: a base64 data URL), loaded
 * with a dynamic import when the wasm backend is first made, and compiled once per page or
 * process. A module rather than `new URL('./kernels.wasm', import.meta.url)`: a bundler copies
 * a module wherever it puts the code that imports it, so the kernels load unchanged from the
 * package in Vite's dev server (whose dependency pre-bundling moves the package's code away
 * from its files), in an app's build, in a Worker and in Node, with no asset to serve or
 * configure; and only the variant in use is fetched.
 */
import { WebCnnError } from '../../errors.js';

/** A kernel: an export of wasm/index.ts. */
export type KernelName = string;
/** A kernel export: `(args, tid, nt)`. */
export type KernelFn = (args: number, tid: number, nt: number) => void;

const modules = new Map<boolean, Promise<WebAssembly.Module>>();

/** The bytes of a base64 data URL. */
function decodeDataUrl(url: string): Uint8Array<ArrayBuffer> {
  const comma = url.indexOf(',');
  if (!url.startsWith('data:') || comma < 0 || !url.slice(0, comma).endsWith(';base64')) throw new Error('not a base64 data URL');
  const text = atob(url.slice(comma + 1));
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

async function bytesOf(threads: boolean): Promise<Uint8Array<ArrayBuffer>> {
  const { default: url } = threads ? await import('./kernels-threads.wasm?url&inline') : await import('./kernels.wasm?url&inline');
  return decodeDataUrl(url);
}

/** The compiled module for `threads` (shared memory) or not. */
export function kernelModule(threads: boolean): Promise<WebAssembly.Module> {
  let m = modules.get(threads);
  if (!m) {
    const file = threads ? 'kernels-threads.wasm' : 'kernels.wasm';
    m = bytesOf(threads)
      .then((bytes) => WebAssembly.compile(bytes))
      .catch((e: unknown) => {
        modules.delete(threads);
        throw new WebCnnError(`wasm backend: cannot load its kernels (${file}: ${e instanceof Error ? e.message : String(e)}); in a checkout, npm run build:wasm (run by npm test and npm start) builds them`);
      });
    modules.set(threads, m);
  }
  return m;
}

/** The kernel exports of an instance, by name, in the order the thread pool numbers them. */
export function kernelExports(instance: WebAssembly.Instance): Map<KernelName, KernelFn> {
  const names = Object.keys(instance.exports).filter((n) => typeof instance.exports[n] === 'function').sort();
  return new Map(names.map((n) => [n, instance.exports[n] as KernelFn]));
}
