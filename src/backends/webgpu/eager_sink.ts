/**
 * The eager dispatch sink: ops are encoded at once into one open command encoder and compute
 * pass; the work is submitted when a result is read, on `flush()`, or every
 * `MAX_PENDING_DISPATCHES` dispatches. One sink per device: `recover()` makes a new one.
 */
import type { Shape } from '../../shape.js';
import type { KernelCall } from './program.js';
import type { PipelineCache } from './pipeline_cache.js';
import type { Allocator } from './allocator.js';
import type { DispatchSink } from './dispatch_sink.js';
import { type GpuStorage, GpuTensor } from './gpu_tensor.js';
import { makeBindGroup, hasUniformBinding } from './bind_groups.js';

/** Submit after this many encoded dispatches even if nobody reads. */
const MAX_PENDING_DISPATCHES = 512;

export class EagerSink implements DispatchSink {
  readonly #device: GPUDevice;
  readonly #pipelines: PipelineCache;
  readonly #allocator: Allocator;
  readonly #onSubmit: () => void;
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #pendingDispatches = 0;
  /** Uniform and aux buffers of the encoded work, freed after its submit. */
  #transient: GPUBuffer[] = [];
  /** Tensor buffers disposed while encoded work may still read them, freed after its submit. */
  #deferredFree: GPUBuffer[] = [];

  constructor(device: GPUDevice, pipelines: PipelineCache, allocator: Allocator, onSubmit: () => void) {
    this.#device = device;
    this.#pipelines = pipelines;
    this.#allocator = allocator;
    this.#onSubmit = onSubmit;
  }

  empty(bytes: number, op: string, shape: Shape): GpuStorage {
    return this.#allocator.storage(bytes, op, shape);
  }

  /** A new buffer is zero-filled by WebGPU, so this is `empty()`. */
  zeros(bytes: number, op: string, shape: Shape): GpuStorage {
    return this.#allocator.storage(bytes, op, shape);
  }

  auxBuffer(data: Uint32Array | Int32Array | Float32Array, label: string): GPUBuffer {
    const buffer = this.#allocator.dataBuffer(data, label);
    this.#transient.push(buffer);
    return buffer;
  }

  dispatch(call: KernelCall, buffers: readonly (GpuTensor | GPUBuffer)[]): void {
    const pipeline = this.#pipelines.get(call.kernel, call.overrides);
    let uniform: GPUBufferBinding | null = null;
    if (call.uniforms && hasUniformBinding(call.kernel)) {
      const ub = this.#device.createBuffer({ size: call.uniforms.byteLength, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
      new Uint8Array(ub.getMappedRange()).set(new Uint8Array(call.uniforms));
      ub.unmap();
      this.#transient.push(ub);
      uniform = { buffer: ub };
    }
    const resolved = buffers.map((b) => (b instanceof GpuTensor ? b.buffer : b));
    const bindGroup = makeBindGroup(this.#device, pipeline.getBindGroupLayout(0), call.kernel, uniform, resolved);
    this.#encoder ??= this.#device.createCommandEncoder({ label: 'webcnn eager' });
    this.#pass ??= this.#encoder.beginComputePass({ label: 'webcnn eager' });
    this.#pass.setPipeline(pipeline);
    this.#pass.setBindGroup(0, bindGroup);
    const [x, y, z] = call.workgroups;
    if (x > 0 && y > 0 && z > 0) this.#pass.dispatchWorkgroups(x, y, z);
    if (++this.#pendingDispatches >= MAX_PENDING_DISPATCHES) this.flush();
  }

  /** Frees a tensor's buffer, after the submit if encoded work may still use it. */
  free(buffer: GPUBuffer): void {
    if (this.#encoder) this.#deferredFree.push(buffer);
    else buffer.destroy();
  }

  /**
   * Ends the open pass, lets `extra` encode after it (copies, a plan's pass), submits, and frees
   * what the submitted work no longer needs. Nothing to do without encoded work or `extra`.
   */
  flush(extra?: (encoder: GPUCommandEncoder) => void): void {
    if (!this.#encoder && !extra) return;
    const encoder = this.#encoder ?? this.#device.createCommandEncoder({ label: 'webcnn eager' });
    this.#pass?.end();
    extra?.(encoder);
    this.#device.queue.submit([encoder.finish()]);
    this.#onSubmit();
    this.#encoder = null;
    this.#pass = null;
    this.#pendingDispatches = 0;
    for (const b of this.#transient) b.destroy();
    for (const b of this.#deferredFree) b.destroy();
    this.#transient = [];
    this.#deferredFree = [];
  }
}
