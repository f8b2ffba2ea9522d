/** Small DOM helpers for the demo. */
import type { Backend, WasmBackend } from 'webcnn';

/** The element with `id`, of the given type; throws naming the id when the page lacks it. */
export function byId<T extends HTMLElement = HTMLElement>(id: string, type?: abstract new () => T): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the demo page has no #${id}`);
  if (type && !(e instanceof type)) throw new Error(`#${id} is a <${e.tagName.toLowerCase()}>, expected another element`);
  return e as T;
}

/** Creates an element with a class and text. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text) e.textContent = text;
  return e;
}

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function fmtMs(ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

/** Lets the browser paint and handle input (between CPU-heavy steps). */
export const nextFrame = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** A message from anything thrown. */
export const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Where the CPU backends run, in words: `the CPU (WebAssembly, 2 threads)` or `the CPU reference backend`. */
export function cpuBackendName(backend: Backend): string {
  if (backend.name !== 'wasm') return 'the CPU reference backend';
  const { threads } = backend as WasmBackend;
  return `the CPU (WebAssembly, ${threads} thread${threads === 1 ? '' : 's'})`;
}
