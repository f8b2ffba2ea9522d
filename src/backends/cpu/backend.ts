/**
 * The CPU reference backend: every op as naive, obviously correct loops with float64
 * accumulation. Tests check every GPU kernel against it; it is also the fallback when there
 * is no WebGPU adapter.
 */
import type { Backend, CompileOptions, Executable } from '../backend.js';
import { CpuExecutable } from './executable.js';
import type {
  TrainingBackend, GradRequest, Conv2dGrads, DenseGrads, SubsampleGrads, LossResult, BatchNormTrainParams,
  BatchNormTrainResult, BatchNormGrads, SgdParams, AdamParams,
} from '../training.js';
import { conv2dBackwardCpu } from './conv2d_backward.js';
import { pool2dBackwardCpu, globalPoolBackwardCpu, adaptiveAvgPoolBackwardCpu, subsampleBackwardCpu } from './pool_backward.js';
import { denseBackwardCpu, rbfBackwardCpu } from './matmul_backward.js';
import { softmaxCrossEntropyCpu, mseLossCpu, rbfLossCpu } from './loss.js';
import { augmentCpu } from './augment.js';
import type { AugmentParams } from '../../ops/augment.js';
import { dropoutTrainCpu } from './dropout.js';
import { sgdStepCpu, adamStepCpu } from './optimizer.js';
import type { Tensor } from '../../tensor.js';
import { type Shape, fmtShape, sizeOf, assertValidShape } from '../../shape.js';
import { BackendMismatchError, DisposedError, ShapeError, WebCnnError } from '../../errors.js';
import type { Primitive } from '../../ops/primitive.js';
import { CPU_KERNELS } from './kernels.js';
import { CpuTensor } from './cpu_tensor.js';
import type { HostTensor } from './host_tensor.js';
import type { Activation } from '../../ops/activation.js';
import type { Conv2dParams } from '../../ops/conv2d.js';
import type { Pool2dParams, SubsampleParams, LrnParams, AdaptivePoolParams } from '../../ops/pool.js';
import type { MatmulParams } from '../../ops/matmul.js';
import type { BatchNormParams } from '../../ops/normalization.js';
import { reshapeShape, flattenShape, checkDropoutRate } from '../../ops/elementwise.js';
import { binaryCpu } from './elementwise.js';
import { activationCpu, activationBackwardCpu } from './activation.js';
import { conv2dCpu } from './conv2d.js';
import { pool2dCpu, globalPoolCpu, adaptiveAvgPoolCpu, subsampleCpu } from './pool.js';
import { lrnCpu, lrnBackwardCpu } from './lrn.js';
import { matmulCpu, denseCpu, rbfCpu, softmaxCpu } from './matmul.js';
import { batchNormCpu, batchNormTrainCpu, batchNormBackwardCpu } from './batchnorm.js';
import { concatCpu, sumToCpu, sliceCpu, accumulateCpu } from './tensor_ops.js';

/** A live tensor of a host-memory backend: a tensor whose values can be read and written in place. */
export type OwnedHostTensor = Tensor & HostTensor;

export class CpuBackend implements Backend, TrainingBackend {
  readonly name: 'reference' | 'wasm' = 'reference';
  #disposed = false;

  /** Whether `t` is one of this backend's tensors (a subclass with its own tensor type says so). */
  protected owns(t: Tensor): t is OwnedHostTensor {
    return t instanceof CpuTensor && t.backend === this;
  }

  /** Checks that `t` is a live tensor of this backend and returns it typed. */
  own(t: Tensor, op: string, what = 'input'): OwnedHostTensor {
    if (this.#disposed) throw new DisposedError(`${op}: the ${this.name} backend was disposed`);
    if (!this.owns(t)) {
      throw new BackendMismatchError(`${op}: ${what} ${String(t)} belongs to another backend; move it with tensor(await t.read(), t.shape)`);
    }
    t.assertLive(op);
    return t;
  }

  /** Counts a new tensor of `bytes` while `counting`. */
  protected noteAlloc(bytes: number): void {
    if (this.#counts) {
      this.#counts.bytes += bytes;
      this.#counts.tensors++;
    }
  }

  /** A tensor of this backend holding a kernel's result. */
  protected wrap(h: HostTensor): Tensor {
    this.noteAlloc(h.data.byteLength);
    return new CpuTensor(this, h.data, h.shape);
  }

  /** A tensor of this backend sharing `t`'s values under another shape (reshape, flatten, inference dropout). */
  protected view(t: OwnedHostTensor, shape: Shape): Tensor {
    return new CpuTensor(this, t.data, shape);
  }

  /** Whether the backend was disposed. */
  protected get disposed(): boolean {
    return this.#disposed;
  }

  /** While set (`counting`): bytes and tensors the ops allocate. */
  #counts: { bytes: number; tensors: number } | null = null;
  /** While set (`timing`): each scope's duration, in order. */
  #times: { scope: string; ms: number }[] | null = null;

  /** Runs `fn` and counts the bytes and tensors the ops allocate meanwhile. */
  counting<T>(fn: () => T): { result: T; allocated: { bytes: number; tensors: number } } {
    const counts = { bytes: 0, tensors: 0 };
    this.#counts = counts;
    try {
      return { result: fn(), allocated: counts };
    } finally {
      this.#counts = null;
    }
  }

  /** Runs `fn` with every `scope` timed into `into`. */
  async timing<T>(into: { scope: string; ms: number }[], fn: () => Promise<T>): Promise<T> {
    this.#times = into;
    try {
      return await fn();
    } finally {
      this.#times = null;
    }
  }

  scope<T>(label: string, fn: () => T): T {
    if (!this.#times) return fn();
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.#times.push({ scope: label, ms: performance.now() - t0 });
    }
  }

  async compile(inputShapes: readonly Shape[], build: (inputs: Tensor[]) => readonly Tensor[], options: CompileOptions = {}): Promise<Executable> {
    if (this.#disposed) throw new DisposedError(`compile: the ${this.name} backend was disposed`);
    options.onProgress?.(0, 0); // nothing to compile: the ops run eagerly
    return new CpuExecutable(this, options.label ?? 'cpu executable', inputShapes, build);
  }

  /** Any size fits: host memory is the only limit. */
  checkFits(): void {}

  readonly epoch = 0;
  async prepare(): Promise<void> {}
  checkEpoch(): void {}
  async explainFailure(_op: string, error: unknown): Promise<unknown> {
    return error;
  }

  tensor(data: Float32Array | readonly number[], shape: Shape): Tensor {
    assertValidShape('tensor', 'data', shape);
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError('tensor', `data has ${data.length} values but shape ${fmtShape(shape)} needs ${sizeOf(shape)}`);
    }
    return new CpuTensor(this, Float32Array.from(data), shape);
  }

  zeros(shape: Shape): Tensor {
    assertValidShape('zeros', 'shape', shape);
    return new CpuTensor(this, new Float32Array(sizeOf(shape)), shape);
  }

  write(t: Tensor, data: Float32Array): void {
    const c = this.own(t, 'write');
    if (data.length !== c.size) throw new ShapeError('write', `${data.length} values for tensor ${fmtShape(c.shape)} of ${c.size}`);
    c.data.set(data);
  }

  async read(t: Tensor): Promise<Float32Array> {
    return this.own(t, 'read').data.slice();
  }

  async sync(): Promise<void> {}

  dispose(): void {
    this.#disposed = true;
  }

  conv2d(x: Tensor, w: Tensor, bias: Tensor | undefined, params: Conv2dParams = {}): Tensor {
    return this.wrap(conv2dCpu(this.own(x, 'conv2d'), this.own(w, 'conv2d', 'weights'), bias && this.own(bias, 'conv2d', 'bias'), params));
  }
  pool2d(x: Tensor, params: Pool2dParams): Tensor {
    return this.wrap(pool2dCpu(this.own(x, 'pool2d'), params));
  }
  globalPool(x: Tensor, type: 'max' | 'avg'): Tensor {
    return this.wrap(globalPoolCpu(this.own(x, 'globalPool'), type));
  }
  adaptiveAvgPool(x: Tensor, params: AdaptivePoolParams): Tensor {
    return this.wrap(adaptiveAvgPoolCpu(this.own(x, 'adaptiveAvgPool'), params));
  }
  subsample(x: Tensor, coeff: Tensor, bias: Tensor, params: SubsampleParams = {}): Tensor {
    return this.wrap(subsampleCpu(this.own(x, 'subsample'), this.own(coeff, 'subsample', 'coeff'), this.own(bias, 'subsample', 'bias'), params));
  }
  lrn(x: Tensor, params: LrnParams = {}): Tensor {
    return this.wrap(lrnCpu(this.own(x, 'lrn'), params));
  }
  matmul(a: Tensor, b: Tensor, params: MatmulParams = {}): Tensor {
    const { bias, ...rest } = params;
    return this.wrap(matmulCpu(this.own(a, 'matmul', 'a'), this.own(b, 'matmul', 'b'), bias && this.own(bias, 'matmul', 'bias'), rest));
  }
  dense(x: Tensor, w: Tensor, bias: Tensor | undefined, activation?: Activation): Tensor {
    return this.wrap(denseCpu(this.own(x, 'dense'), this.own(w, 'dense', 'weights'), bias && this.own(bias, 'dense', 'bias'), activation));
  }
  rbf(x: Tensor, centers: Tensor): Tensor {
    return this.wrap(rbfCpu(this.own(x, 'rbf'), this.own(centers, 'rbf', 'centers')));
  }
  softmax(x: Tensor, axis = -1): Tensor {
    return this.wrap(softmaxCpu(this.own(x, 'softmax'), axis));
  }
  activation(x: Tensor, act: Activation): Tensor {
    return this.wrap(activationCpu(this.own(x, 'activation'), act));
  }
  add(a: Tensor, b: Tensor): Tensor {
    return this.wrap(binaryCpu('add', this.own(a, 'add', 'a'), this.own(b, 'add', 'b')));
  }
  mul(a: Tensor, b: Tensor): Tensor {
    return this.wrap(binaryCpu('mul', this.own(a, 'mul', 'a'), this.own(b, 'mul', 'b')));
  }
  batchNorm(x: Tensor, params: BatchNormParams): Tensor {
    const own = (t: Tensor, what: string) => this.own(t, 'batchNorm', what);
    return this.wrap(
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
    return this.wrap(concatCpu(xs.map((t, i) => this.own(t, 'concat', `input ${i}`)), axis));
  }
  reshape(x: Tensor, shape: Shape): Tensor {
    const c = this.own(x, 'reshape');
    return this.view(c, reshapeShape(c.shape, shape));
  }
  flatten(x: Tensor, axis = 1): Tensor {
    const c = this.own(x, 'flatten');
    return this.view(c, flattenShape(c.shape, axis));
  }
  dropout(x: Tensor, rate: number): Tensor {
    const c = this.own(x, 'dropout');
    checkDropoutRate(rate);
    return this.view(c, c.shape);
  }  prim<A>(p: Primitive<A>, inputs: readonly Tensor[], attrs: A): Tensor {
    const hosts = inputs.map((t, i) => this.own(t, p.name, `input ${i}`));
    const outShape = p.infer(hosts.map((h) => h.shape), attrs);
    const kernel = CPU_KERNELS.get(p.name);
    if (!kernel) throw new WebCnnError(`${p.name}: the reference backend has no kernel for this primitive`);
    return this.wrap(kernel(hosts, attrs as never, outShape));
  }


  // ---------------------------------------------------------------------------------------
  // Training (see ../training.ts)

  #w(h: HostTensor | undefined): Tensor | undefined {
    return h ? this.wrap(h) : undefined;
  }
  activationBackward(y: Tensor, dy: Tensor, act: Activation): Tensor {
    return this.wrap(activationBackwardCpu(this.own(y, 'activationBackward', 'y'), this.own(dy, 'activationBackward', 'dy'), act));
  }
  conv2dBackward(x: Tensor, w: Tensor, dy: Tensor, params: Conv2dParams = {}, want: GradRequest = {}): Conv2dGrads {
    const g = conv2dBackwardCpu(this.own(x, 'conv2dBackward'), this.own(w, 'conv2dBackward', 'weights'), this.own(dy, 'conv2dBackward', 'dy'), params, want);
    return { dx: this.#w(g.dx), dw: this.#w(g.dw), db: this.#w(g.db) };
  }
  denseBackward(x: Tensor, w: Tensor, dy: Tensor, want: GradRequest = {}): DenseGrads {
    const g = denseBackwardCpu(this.own(x, 'denseBackward'), this.own(w, 'denseBackward', 'weights'), this.own(dy, 'denseBackward', 'dy'), want);
    return { dx: this.#w(g.dx), dw: this.#w(g.dw), db: this.#w(g.db) };
  }
  rbfBackward(x: Tensor, centers: Tensor, dy: Tensor): { dx: Tensor; dcenters: Tensor } {
    const g = rbfBackwardCpu(this.own(x, 'rbfBackward'), this.own(centers, 'rbfBackward', 'centers'), this.own(dy, 'rbfBackward', 'dy'));
    return { dx: this.wrap(g.dx), dcenters: this.wrap(g.dcenters) };
  }
  pool2dBackward(x: Tensor, dy: Tensor, params: Pool2dParams): Tensor {
    return this.wrap(pool2dBackwardCpu(this.own(x, 'pool2dBackward'), this.own(dy, 'pool2dBackward', 'dy'), params));
  }
  globalPoolBackward(x: Tensor, dy: Tensor, type: 'max' | 'avg'): Tensor {
    return this.wrap(globalPoolBackwardCpu(this.own(x, 'globalPoolBackward'), this.own(dy, 'globalPoolBackward', 'dy'), type));
  }
  adaptiveAvgPoolBackward(x: Tensor, dy: Tensor, params: AdaptivePoolParams): Tensor {
    return this.wrap(adaptiveAvgPoolBackwardCpu(this.own(x, 'adaptiveAvgPoolBackward'), this.own(dy, 'adaptiveAvgPoolBackward', 'dy'), params));
  }
  subsampleBackward(x: Tensor, coeff: Tensor, dy: Tensor, params: SubsampleParams = {}): SubsampleGrads {
    const g = subsampleBackwardCpu(this.own(x, 'subsampleBackward'), this.own(coeff, 'subsampleBackward', 'coeff'), this.own(dy, 'subsampleBackward', 'dy'), params);
    return { dx: this.wrap(g.dx), dcoeff: this.wrap(g.dcoeff), dbias: this.wrap(g.dbias) };
  }
  lrnBackward(x: Tensor, dy: Tensor, params: LrnParams = {}): Tensor {
    return this.wrap(lrnBackwardCpu(this.own(x, 'lrnBackward'), this.own(dy, 'lrnBackward', 'dy'), params));
  }
  #loss(r: { loss: HostTensor; grad: HostTensor }): LossResult {
    return { loss: this.wrap(r.loss), grad: this.wrap(r.grad) };
  }
  softmaxCrossEntropy(logits: Tensor, labels: Tensor): LossResult {
    return this.#loss(softmaxCrossEntropyCpu(this.own(logits, 'softmaxCrossEntropy', 'logits'), this.own(labels, 'softmaxCrossEntropy', 'labels')));
  }
  mseLoss(pred: Tensor, target: Tensor): LossResult {
    return this.#loss(mseLossCpu(this.own(pred, 'mseLoss', 'prediction'), this.own(target, 'mseLoss', 'target')));
  }
  rbfLoss(distances: Tensor, labels: Tensor): LossResult {
    return this.#loss(rbfLossCpu(this.own(distances, 'rbfLoss', 'distances'), this.own(labels, 'rbfLoss', 'labels')));
  }
  batchNormTrain(x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor, params: BatchNormTrainParams = {}): BatchNormTrainResult {
    const o = (t: Tensor, what: string) => this.own(t, 'batchNormTrain', what);
    const r = batchNormTrainCpu(o(x, 'input'), o(gamma, 'gamma'), o(beta, 'beta'), o(runningMean, 'runningMean'), o(runningVar, 'runningVar'), params);
    return { y: this.wrap(r.y), mean: this.wrap(r.mean), invStd: this.wrap(r.invStd) };
  }
  batchNormBackward(x: Tensor, dy: Tensor, gamma: Tensor, mean: Tensor, invStd: Tensor): BatchNormGrads {
    const o = (t: Tensor, what: string) => this.own(t, 'batchNormBackward', what);
    const r = batchNormBackwardCpu(o(x, 'input'), o(dy, 'dy'), o(gamma, 'gamma'), o(mean, 'mean'), o(invStd, 'invStd'));
    return { dx: this.wrap(r.dx), dgamma: this.wrap(r.dgamma), dbeta: this.wrap(r.dbeta) };
  }
  dropoutTrain(x: Tensor, rate: number, seed: Tensor): { y: Tensor; mask: Tensor } {
    const r = dropoutTrainCpu(this.own(x, 'dropoutTrain'), rate, this.own(seed, 'dropoutTrain', 'seed'));
    return { y: this.wrap(r.y), mask: this.wrap(r.mask) };
  }
  augment(x: Tensor, seed: Tensor, params: AugmentParams = {}): Tensor {
    return this.wrap(augmentCpu(this.own(x, 'augment'), this.own(seed, 'augment', 'seed'), params));
  }
  sumTo(x: Tensor, shape: Shape): Tensor {
    return this.wrap(sumToCpu(this.own(x, 'sumTo'), shape));
  }
  slice(x: Tensor, axis: number, start: number, size: number): Tensor {
    return this.wrap(sliceCpu(this.own(x, 'slice'), axis, start, size));
  }
  accumulate(acc: Tensor, x: Tensor): void {
    accumulateCpu(this.own(acc, 'accumulate', 'accumulator'), this.own(x, 'accumulate'));
  }
  sgdStep(param: Tensor, grad: Tensor, velocity: Tensor | undefined, hyper: Tensor, params: SgdParams = {}): void {
    const o = (t: Tensor, what: string) => this.own(t, 'sgdStep', what);
    sgdStepCpu(o(param, 'param'), o(grad, 'grad'), velocity && o(velocity, 'velocity'), o(hyper, 'hyper'), params);
  }
  adamStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, hyper: Tensor, params: AdamParams = {}): void {
    const o = (t: Tensor, what: string) => this.own(t, 'adamStep', what);
    adamStepCpu(o(param, 'param'), o(grad, 'grad'), o(m, 'm'), o(v, 'v'), o(hyper, 'hyper'), params);
  }
}
