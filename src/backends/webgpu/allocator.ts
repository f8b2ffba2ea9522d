/**
 * Buffer creation and accounting: every tensor buffer is made here, checked first against the
 * device's binding-size limit, and counted in `memoryInfo()` until its last tensor is disposed.
 * Also the rollback scopes: an op refused part-way frees what it had already allocated.
 */
import { type Shape, fmtShape, sizeOf } from '../../shape.js';
import { LimitExceededError } from '../../errors.js';
import { GpuStorage } from './gpu_tensor.js';
import { rowBlocks } from './split_tensor.js';
import type { DeviceSession } from './device_session.js';

/** Buffer bytes for `bytes` of data: rounded up to 16 so vec4 loads at the tail stay in bounds. */
export function paddedSize(bytes: number): number {
  return Math.max(16, Math.ceil(bytes / 16) * 16);
}

/** What an op scope disposes if the op throws (the tensors `empty()` made for it). */
type Made = { dispose(): void };

export class Allocator {
  readonly #session: DeviceSession;
  #buffers = 0;
  #bytes = 0;
  /** Per op being run (innermost last), what was made for it: see `scope()`. */
  readonly #scopes: Made[][] = [];

  constructor(session: DeviceSession) {
    this.#session = session;
  }

  /** The most bytes one tensor may have on this device: it must fit one buffer and one storage binding. */
  get maxTensorBytes(): number {
    const limits = this.#session.ctx.limits;
    return Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  }

  /** Throws `LimitExceededError` if a tensor of `bytes` could not be bound on this device. */
  checkSize(bytes: number, op: string, shape: Shape): void {
    const max = this.maxTensorBytes;
    if (bytes > max) {
      throw new LimitExceededError(
        `${op}: tensor ${fmtShape(shape)} needs ${bytes} bytes, more than this device's maxStorageBufferBindingSize (${max} bytes)`,
      );
    }
  }

  /**
   * The same check before any work, for a tensor a caller means to make: `what` names it (a
   * model's layer output, say). A parameter its layer can take in blocks of rows fits when one
   * row does (split_tensor.ts); other parameters are said to be parameters, which no smaller
   * batch or input would shrink.
   */
  checkFits(what: string, shape: Shape, kind: { parameter?: boolean; splittable?: boolean } = {}): void {
    const bytes = sizeOf(shape) * 4;
    const max = this.maxTensorBytes;
    if (bytes <= max || (kind.splittable && rowBlocks(shape, max))) return;
    const over = `${what} ${fmtShape(shape)} needs ${bytes} bytes, more than this device's maxStorageBufferBindingSize (${max} bytes)`;
    if (!kind.parameter) throw new LimitExceededError(`${over}; use a smaller batch or input`);
    const why = kind.splittable
      ? `even one of its rows (${sizeOf(shape.slice(1)) * 4} bytes) is over the limit, so it cannot be split across bindings`
      : 'this layer cannot take a parameter split across bindings (dense, and conv2d without groups, can)';
    throw new LimitExceededError(`${over}; it is a parameter: ${why}. It runs only on a device with a larger limit`);
  }

  /** A new tensor storage on the current device, zero-filled by WebGPU, counted until released. */
  storage(bytes: number, op: string, shape: Shape): GpuStorage {
    this.checkSize(bytes, op, shape);
    const size = paddedSize(bytes);
    const buffer = this.#session.ctx.device.createBuffer({
      label: `${op} ${fmtShape(shape)}`,
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.#buffers++;
    this.#bytes += size;
    return new GpuStorage(buffer, size, this.#session.generation);
  }

  /** A storage with no buffer yet, for a plan being recorded: the plan's memory planner gives it one. */
  virtualStorage(bytes: number, op: string, shape: Shape): GpuStorage {
    this.checkSize(bytes, op, shape);
    return new GpuStorage(null, paddedSize(bytes), this.#session.generation);
  }

  /** A read-only buffer holding `data` (kernel tables, indices). Not counted: its owner frees it with the work that reads it. */
  dataBuffer(data: Uint32Array | Int32Array | Float32Array, label: string): GPUBuffer {
    const device = this.#session.ctx.device;
    const buffer = device.createBuffer({ label, size: paddedSize(data.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  /**
   * Drops one reference to `storage`. When it was the last, stops counting the storage and
   * returns its buffer for the caller to free; null while views remain, for a virtual storage,
   * and for one of a lost device (uncounted since `reset()`, nothing to free on the new device).
   */
  release(storage: GpuStorage): GPUBuffer | null {
    storage.refs--;
    if (storage.refs > 0 || !storage.buffer) return null;
    if (storage.generation !== this.#session.generation) return null;
    this.#buffers--;
    this.#bytes -= storage.bytes;
    return storage.buffer;
  }

  /** Counts buffers made outside `storage()` (execution plans); negative numbers uncount them. */
  account(buffers: number, bytes: number): void {
    this.#buffers += buffers;
    this.#bytes += bytes;
  }

  /** Live counted buffers and their bytes. */
  get live(): { buffers: number; bytes: number } {
    return { buffers: this.#buffers, bytes: this.#bytes };
  }

  /** Forgets every count: the device they were on was replaced. */
  reset(): void {
    this.#buffers = 0;
    this.#bytes = 0;
  }

  /**
   * Runs one op's kernel code. If it throws part-way (a dispatch over the device's limits,
   * say, found after the output was allocated), what it had made is disposed, so a refused op
   * leaves no buffer behind. On success that passes to the enclosing op, if any.
   */
  scope<T>(fn: () => T): T {
    const made: Made[] = [];
    this.#scopes.push(made);
    try {
      const result = fn();
      this.#scopes.pop();
      this.#scopes.at(-1)?.push(...made);
      return result;
    } catch (e) {
      this.#scopes.pop();
      for (const t of made) t.dispose();
      throw e;
    }
  }

  /** Puts `t` in the innermost open op scope, if any. */
  track(t: Made): void {
    this.#scopes.at(-1)?.push(t);
  }
}
