/**
 * What the CPU reference kernels take and return: values and a shape, nothing else. Its own
 * file, importing nothing of the backend, so that the kernel files and the backend that calls
 * them do not import each other.
 */
import type { Shape } from '../../shape.js';

export interface HostTensor {
  readonly data: Float32Array;
  readonly shape: Shape;
}
