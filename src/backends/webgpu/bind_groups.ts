/**
 * The one place a dispatch's bind group is assembled, for the eager sink (uniforms in a buffer
 * of their own) and for execution plans (uniforms at an offset in one shared buffer).
 */
import type { KernelSpec } from './program.js';

/** Number of buffers a call of `kernel` is given: its bindings other than the uniform block. */
export function storageBindingCount(kernel: KernelSpec): number {
  return kernel.bindings.filter((kind) => kind !== 'uniform').length;
}

/** Whether `kernel` declares a uniform binding. */
export function hasUniformBinding(kernel: KernelSpec): boolean {
  return kernel.bindings.includes('uniform');
}

/**
 * Binding i of group 0 is `kernel.bindings[i]`: the uniform binding gets `uniform`, the others
 * get `buffers` in order. Throws if the counts do not match the kernel's declaration.
 */
export function makeBindGroup(
  device: GPUDevice,
  layout: GPUBindGroupLayout,
  kernel: KernelSpec,
  uniform: GPUBufferBinding | null,
  buffers: readonly GPUBuffer[],
  label?: string,
): GPUBindGroup {
  const expected = storageBindingCount(kernel);
  if (buffers.length !== expected) throw new Error(`${kernel.name}: ${buffers.length} buffers given, ${expected} bindings`);
  let next = 0;
  const entries = kernel.bindings.map((kind, binding): GPUBindGroupEntry => {
    if (kind !== 'uniform') return { binding, resource: { buffer: buffers[next++] } };
    if (!uniform) throw new Error(`${kernel.name}: kernel declares a uniform binding but the call has no uniforms`);
    return { binding, resource: uniform };
  });
  return device.createBindGroup({ label, layout, entries });
}
