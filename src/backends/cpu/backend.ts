/**
 * The CPU reference backend: every op as naive, obviously correct loops with float64
 * accumulation. Tests check every GPU kernel against it; it is also the fallback when there
 * is no WebGPU adapter.
 */
import type { Backend } from '../backend.js';
import type { Tensor } from '../../tensor.js';
import { type Shape, fmtShape, sizeOf, assertValidShape } from '../../shape.js';
import { BackendMismatchError, DisposedError, ShapeError } from '../../errors.js';
import { CpuTensor, type HostTensor } from './cpu_tensor.js';
import type { Activation } from '../../ops/activation.js';
import type { Conv2dParams } from '../../ops/conv2d.js';
import type { Pool2dParams, SubsampleParams, LrnParams, AdaptivePoolParams } from '../../ops/pool.js';
import type { MatmulParams } from '../../ops/matmul.js';
import type { BatchNormParams } from '../../ops/normalization.js';
import { reshapeShape, flattenShape, checkDropoutRate } from '../../ops/elementwise.js';
import { activationCpu, binaryCpu } from './elementwise.js';
import { conv2dCpu } from './conv2d.js';
import { pool2dCpu, globalPoolCpu, adaptiveAvgPoolCpu, subsampleCpu, lrnCpu } from './pool.js';
import { matmulCpu, denseCpu, rbfCpu, softmaxCpu } from './matmul.js';
import { batchNormCpu, concatCpu } from './normalization.js';

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  #disposed = false;

  /** Checks that `t` is a live tensor of this backend and returns it typed. */
  own(t: Tensor, op: string, what = 'input'): CpuTensor {
    if (this.#disposed) throw new DisposedError(`${op}: the CPU backend was disposed`);
    if (!(t instanceof CpuTensor) || t.backend !== this) {
      throw new BackendMismatchError(`${op}: ${what} ${String(t)} belongs to another backend; move it with tensor(await t.read(), t.shape)`);
    }
    t.assertLive(op);
    return t;
  }

  #wrap(h: HostTensor): CpuTensor {
    return new CpuTensor(this, h.data, h.shape);
  }

  tensor(data: Float32Array | readonly number[], shape: Shape): CpuTensor {
    assertValidShape('tensor', 'data', shape);
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError('tensor', `data has ${data.length} values but shape ${fmtShape(shape)} needs ${sizeOf(shape)}`);
    }
    return new CpuTensor(this, Float32Array.from(data), shape);
  }

  zeros(shape: Shape): CpuTensor {
    assertValidShape('zeros', 'shape', shape);
    return new CpuTensor(this, new Float32Array(sizeOf(shape)), shape);
  }

  async read(t: Tensor): Promise<Float32Array> {
    return this.own(t, 'read').data.slice();
  }

  async sync(): Promise<void> {}

  dispose(): void {
    this.#disposed = true;
  }

  conv2d(x: Tensor, w: Tensor, bias: Tensor | undefined, params: Conv2dParams = {}): Tensor {
    return this.#wrap(conv2dCpu(this.own(x, 'conv2d'), this.own(w, 'conv2d', 'weights'), bias && this.own(bias, 'conv2d', 'bias'), params));
  }
  pool2d(x: Tensor, params: Pool2dParams): Tensor {
    return this.#wrap(pool2dCpu(this.own(x, 'pool2d'), params));
  }
  globalPool(x: Tensor, type: 'max' | 'avg'): Tensor {
    return this.#wrap(globalPoolCpu(this.own(x, 'globalPool'), type));
  }
  adaptiveAvgPool(x: Tensor, params: AdaptivePoolParams): Tensor {
    return this.#wrap(adaptiveAvgPoolCpu(this.own(x, 'adaptiveAvgPool'), params));
  }
  subsample(x: Tensor, coeff: Tensor, bias: Tensor, params: SubsampleParams = {}): Tensor {
    return this.#wrap(subsampleCpu(this.own(x, 'subsample'), this.own(coeff, 'subsample', 'coeff'), this.own(bias, 'subsample', 'bias'), params));
  }
  lrn(x: Tensor, params: LrnParams = {}): Tensor {
    return this.#wrap(lrnCpu(this.own(x, 'lrn'), params));
  }
  matmul(a: Tensor, b: Tensor, params: MatmulParams = {}): Tensor {
    const { bias, ...rest } = params;
    return this.#wrap(matmulCpu(this.own(a, 'matmul', 'a'), this.own(b, 'matmul', 'b'), bias && this.own(bias, 'matmul', 'bias'), rest));
  }
  dense(x: Tensor, w: Tensor, bias: Tensor | undefined, activation?: Activation): Tensor {
    return this.#wrap(denseCpu(this.own(x, 'dense'), this.own(w, 'dense', 'weights'), bias && this.own(bias, 'dense', 'bias'), activation));
  }
  rbf(x: Tensor, centers: Tensor): Tensor {
    return this.#wrap(rbfCpu(this.own(x, 'rbf'), this.own(centers, 'rbf', 'centers')));
  }
  softmax(x: Tensor, axis = -1): Tensor {
    return this.#wrap(softmaxCpu(this.own(x, 'softmax'), axis));
  }
  activation(x: Tensor, act: Activation): Tensor {
    return this.#wrap(activationCpu(this.own(x, 'activation'), act));
  }
  add(a: Tensor, b: Tensor): Tensor {
    return this.#wrap(binaryCpu('add', this.own(a, 'add', 'a'), this.own(b, 'add', 'b')));
  }
  mul(a: Tensor, b: Tensor): Tensor {
    return this.#wrap(binaryCpu('mul', this.own(a, 'mul', 'a'), this.own(b, 'mul', 'b')));
  }
  batchNorm(x: Tensor, params: BatchNormParams): Tensor {
    const own = (t: Tensor, what: string) => this.own(t, 'batchNorm', what);
    return this.#wrap(
      batchNormCpu(own(x, 'input'), {
        ...params,
        gamma: own(params.gamma, 'gamma'),
        beta: own(params.beta, 'beta'),
        mean: own(params.mean, 'mean'),
        variance: own(params.variance, 'variance'),
      }),
    );
  }
  concat(xs: readonly Tensor[], axis = 1): Tensor {
    return this.#wrap(concatCpu(xs.map((t, i) => this.own(t, 'concat', `input ${i}`)), axis));
  }
  reshape(x: Tensor, shape: Shape): Tensor {
    const c = this.own(x, 'reshape');
    return new CpuTensor(this, c.data, reshapeShape(c.shape, shape));
  }
  flatten(x: Tensor, axis = 1): Tensor {
    const c = this.own(x, 'flatten');
    return new CpuTensor(this, c.data, flattenShape(c.shape, axis));
  }
  dropout(x: Tensor, rate: number): Tensor {
    const c = this.own(x, 'dropout');
    checkDropoutRate(rate);
    return new CpuTensor(this, c.data, c.shape);
  }
}
