/**
 * The compiled WebAssembly kernels (wasm/*.ts, built by scripts/build-wasm.mjs into this folder):
 * `kernels.wasm` for one thread on an ordinary memory, `kernels-threads.wasm` for a shared
 * memory. Fetched and compiled once per page or process, when the wasm backend is first made.
 */
import { WebCnnError } from '../../errors.js';

/** A kernel: an export of wasm/index.ts. */
export type KernelName = string;
/** A kernel export: `(args, tid, nt)`. */
export type KernelFn = (args: number, tid: number, nt: number) => void;

const modules = new Map<boolean, Promise<WebAssembly.Module>>();

function urlOf(threads: boolean): URL {
  return threads ? new URL('./kernels-threads.wasm', import.meta.url) : new URL('./kernels.wasm', import.meta.url);
}

async function bytesOf(url: URL): Promise<ArrayBuffer> {
  if (url.protocol === 'file:') {
    // Hidden from bundlers: browser builds never pull in node:fs.
    const fsName = 'node:fs/promises';
    const { readFile } = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises');
    const buf = await readFile(url);
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.arrayBuffer();
}

/** The compiled module for `threads` (shared memory) or not. */
export function kernelModule(threads: boolean): Promise<WebAssembly.Module> {
  let m = modules.get(threads);
  if (!m) {
    const url = urlOf(threads);
    m = bytesOf(url)
      .then((bytes) => WebAssembly.compile(bytes))
      .catch((e: unknown) => {
        modules.delete(threads);
        throw new WebCnnError(`wasm backend: cannot load its kernels from ${url.protocol === 'data:' ? 'the bundled module' : url.href} (${e instanceof Error ? e.message : String(e)}); in a checkout, npm test or npm start builds them`);
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
