/**
 * The meta backend: tensors with a shape and no data. Every op runs the same pure shape
 * inference as the real backends and nothing else, so applying a model here infers every
 * layer's shape (and finds every shape error) before any GPU work, through the same code
 * that runs the model for real.
 */
import type { Backend, Executable } from '../backend.js';
import { Tensor } from '../../tensor.js';
import { type Shape, assertValidShape, sizeOf, fmtShape } from '../../shape.js';
import { BackendMismatchError, ShapeError, WebCnnError } from '../../errors.js';
import { type Activation, normalizeActivation } from '../../ops/activation.js';
import { type Conv2dParams, inferConv2d } from '../../ops/conv2d.js';
import { type Pool2dParams, type SubsampleParams, type LrnParams, type AdaptivePoolParams, inferPool2d, inferGlobalPool, inferAdaptiveAvgPool, inferSubsample, inferLrn } from '../../ops/pool.js';
import { type MatmulParams, inferMatmul, inferDense, inferRbf, inferSoftmax } from '../../ops/matmul.js';
import { type BatchNormParams, inferBatchNorm, inferConcat } from '../../ops/normalization.js';
import { inferBinary, reshapeShape, flattenShape, checkDropoutRate } from '../../ops/elementwise.js';
import type { Primitive } from '../../ops/primitive.js';

export class MetaTensor extends Tensor {
  readonly backend: MetaBackend;
  constructor(backend: MetaBackend, shape: Shape) {
    super(shape);
    this.backend = backend;
  }
  protected release(): void {}
}

export class MetaBackend implements Backend {
  readonly name = 'meta' as const;

  #own(t: Tensor, op: string): MetaTensor {
    if (!(t instanceof MetaTensor)) throw new BackendMismatchError(`${op}: ${String(t)} is not a meta tensor`);
    return t;
  }
  #out(shape: Shape): MetaTensor {
    return new MetaTensor(this, shape);
  }

  /** A placeholder of `shape` (the data argument is ignored but its length is checked). */
  tensor(data: Float32Array | readonly number[], shape: Shape): MetaTensor {
    assertValidShape('tensor', 'data', shape);
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError('tensor', `data has ${data.length} values but shape ${fmtShape(shape)} needs ${sizeOf(shape)}`);
    }
    return this.#out(shape);
  }
  zeros(shape: Shape): MetaTensor {
    assertValidShape('zeros', 'shape', shape);
    return this.#out(shape);
  }
  /** A placeholder of `shape` without data. */
  placeholder(shape: Shape): MetaTensor {
    assertValidShape('placeholder', 'shape', shape);
    return this.#out(shape);
  }
  write(t: Tensor, data: Float32Array): void {
    if (data.length !== t.size) throw new ShapeError('write', `${data.length} values for tensor ${fmtShape(t.shape)} of ${t.size}`);
  }
  async read(_t: Tensor): Promise<Float32Array> {
    throw new WebCnnError('read: meta tensors have a shape and no data');
  }
  async sync(): Promise<void> {}
  dispose(): void {}

  conv2d(x: Tensor, w: Tensor, bias: Tensor | undefined, params: Conv2dParams = {}): Tensor {
    return this.#out(inferConv2d(this.#own(x, 'conv2d').shape, this.#own(w, 'conv2d').shape, bias && this.#own(bias, 'conv2d').shape, params).outShape);
  }
  pool2d(x: Tensor, params: Pool2dParams): Tensor {
    return this.#out(inferPool2d(this.#own(x, 'pool2d').shape, params).outShape);
  }
  globalPool(x: Tensor, type: 'max' | 'avg'): Tensor {
    return this.#out(inferGlobalPool(this.#own(x, 'globalPool').shape, type).outShape);
  }
  adaptiveAvgPool(x: Tensor, params: AdaptivePoolParams): Tensor {
    return this.#out(inferAdaptiveAvgPool(this.#own(x, 'adaptiveAvgPool').shape, params).outShape);
  }
  subsample(x: Tensor, coeff: Tensor, bias: Tensor, params: SubsampleParams = {}): Tensor {
    return this.#out(inferSubsample(this.#own(x, 'subsample').shape, coeff.shape, bias.shape, params).outShape);
  }
  lrn(x: Tensor, params: LrnParams = {}): Tensor {
    inferLrn(this.#own(x, 'lrn').shape, params);
    return this.#out(x.shape);
  }
  matmul(a: Tensor, b: Tensor, params: MatmulParams = {}): Tensor {
    const { bias, ...rest } = params;
    return this.#out(inferMatmul(this.#own(a, 'matmul').shape, this.#own(b, 'matmul').shape, bias?.shape, rest).outShape);
  }
  dense(x: Tensor, w: Tensor, bias: Tensor | undefined, activation?: Activation): Tensor {
    return this.#out(inferDense(this.#own(x, 'dense').shape, this.#own(w, 'dense').shape, bias?.shape, activation).outShape);
  }
  rbf(x: Tensor, centers: Tensor): Tensor {
    return this.#out(inferRbf(this.#own(x, 'rbf').shape, this.#own(centers, 'rbf').shape).outShape);
  }
  softmax(x: Tensor, axis = -1): Tensor {
    inferSoftmax(this.#own(x, 'softmax').shape, axis);
    return this.#out(x.shape);
  }
  activation(x: Tensor, act: Activation): Tensor {
    normalizeActivation('activation', act);
    return this.#out(this.#own(x, 'activation').shape);
  }
  add(a: Tensor, b: Tensor): Tensor {
    return this.#out(inferBinary('add', this.#own(a, 'add').shape, this.#own(b, 'add').shape).outShape);
  }
  mul(a: Tensor, b: Tensor): Tensor {
    return this.#out(inferBinary('mul', this.#own(a, 'mul').shape, this.#own(b, 'mul').shape).outShape);
  }
  batchNorm(x: Tensor, params: BatchNormParams): Tensor {
    const g = inferBatchNorm(
      this.#own(x, 'batchNorm').shape,
      { gamma: params.gamma.shape, beta: params.beta.shape, mean: params.mean.shape, variance: params.variance.shape },
      { epsilon: params.epsilon, activation: params.activation, name: params.name },
    );
    return this.#out(g.outShape);
  }
  concat(xs: readonly Tensor[], axis = 1): Tensor {
    return this.#out(inferConcat(xs.map((t) => this.#own(t, 'concat').shape), axis).outShape);
  }
  reshape(x: Tensor, shape: Shape): Tensor {
    return this.#out(reshapeShape(this.#own(x, 'reshape').shape, shape));
  }
  flatten(x: Tensor, axis = 1): Tensor {
    return this.#out(flattenShape(this.#own(x, 'flatten').shape, axis));
  }
  dropout(x: Tensor, rate: number): Tensor {
    checkDropoutRate(rate);
    return this.#out(this.#own(x, 'dropout').shape);
  }
  async compile(): Promise<Executable> {
    throw new WebCnnError('compile: the meta backend infers shapes; it cannot run a computation');
  }
  scope<T>(_label: string, fn: () => T): T {
    return fn();
  }
  checkFits(): void {}
  readonly epoch = 0;
  async prepare(): Promise<void> {}
  checkEpoch(): void {}
  async explainFailure(_op: string, error: unknown): Promise<unknown> {
    return error;
  }
  prim<A>(p: Primitive<A>, inputs: readonly Tensor[], attrs: A): Tensor {
    return this.#out(p.infer(inputs.map((t) => this.#own(t, p.name).shape), attrs));
  }
}
