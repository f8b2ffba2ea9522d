/**
 * The WebGPU backend: tensors and ops on the WebGPU runtime (runtime.ts: device session,
 * allocator, eager and recording dispatch sinks). Kernels see it only as a `KernelContext`;
 * the op methods at the end check their operands and forward to the kernel functions, each in
 * an allocation scope so that an op refused part-way leaves no buffer behind.
 */
import type { Backend } from '../backend.js';
import type {
  TrainingBackend, GradRequest, Conv2dGrads, DenseGrads, SubsampleGrads, LossResult, BatchNormTrainParams,
  BatchNormTrainResult, BatchNormGrads, SgdParams, AdamParams,
} from '../training.js';
import { conv2dBackwardGpu } from './kernels/conv2d_backward.js';
import { pool2dBackwardGpu, globalPoolBackwardGpu, adaptiveAvgPoolBackwardGpu, subsampleBackwardGpu } from './kernels/pool_backward.js';
import { denseBackwardGpu, rbfBackwardGpu } from './kernels/matmul_backward.js';
import { softmaxCrossEntropyGpu, mseLossGpu, rbfLossGpu } from './kernels/loss.js';
import { augmentGpu } from './kernels/augment.js';
import type { AugmentParams } from '../../ops/augment.js';
import { dropoutTrainGpu } from './kernels/dropout.js';
import { sgdStepGpu, adamStepGpu } from './kernels/optimizer.js';
import type { Tensor } from '../../tensor.js';
import { type Shape, fmtShape, sizeOf, assertValidShape } from '../../shape.js';
import { BackendMismatchError, DeviceLostError, ShapeError, WebCnnError } from '../../errors.js';
import { type GpuContext, type DeviceOptions, acquireDevice } from '../../device/device.js';
import { GpuTensor } from './gpu_tensor.js';
import { SplitTensor, rowBlocks } from './split_tensor.js';
import { splitRefused, denseSplit, conv2dSplit, denseBackwardSplit, conv2dBackwardSplit, sgdStepSplit, adamStepSplit } from './split_ops.js';
import type { KernelContext, WebGpuDebugOptions } from './kernel_context.js';
import { WebGpuRuntime } from './runtime.js';
import { ExecutionPlan, type PlanOptions } from './plan.js';
import { GPU_KERNELS } from './gpu_kernels.js';
import { type DispatchReport, summarizeDispatches } from '../dispatch_report.js';
import type { Primitive } from '../../ops/primitive.js';
import type { Activation } from '../../ops/activation.js';
import type { Conv2dParams } from '../../ops/conv2d.js';
import type { Pool2dParams, SubsampleParams, LrnParams, AdaptivePoolParams } from '../../ops/pool.js';
import type { MatmulParams } from '../../ops/matmul.js';
import type { BatchNormParams } from '../../ops/normalization.js';
import { addGpu, mulGpu } from './kernels/elementwise.js';
import { activationGpu, activationBackwardGpu } from './kernels/activation.js';
import { conv2dGpu } from './kernels/conv2d.js';
import { pool2dGpu, globalPoolGpu, adaptiveAvgPoolGpu, subsampleGpu } from './kernels/pool.js';
import { lrnGpu, lrnBackwardGpu } from './kernels/lrn.js';
import { matmulGpu, denseGpu, rbfGpu, softmaxGpu } from './kernels/matmul.js';
import { batchNormGpu, batchNormTrainGpu, batchNormBackwardGpu } from './kernels/batchnorm.js';
import { concatGpu, sumToGpu, sliceGpu, accumulateGpu } from './kernels/tensor_ops.js';
import { reshapeShape, flattenShape, checkDropoutRate } from '../../ops/elementwise.js';

export type { WebGpuDebugOptions } from './kernel_context.js';
export type { MemoryInfo } from './runtime.js';

export interface WebGpuBackendOptions extends DeviceOptions {
  /** Use this context instead of acquiring a device (the backend will not destroy it). */
  context?: GpuContext;
  debug?: WebGpuDebugOptions;
}

export class WebGpuBackend extends WebGpuRuntime implements Backend, TrainingBackend, KernelContext {
  readonly name = 'webgpu' as const;

  /** Acquires a device (or uses `options.context`) and makes a backend on it. */
  static async create(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
    const ctx = options.context ?? (await acquireDevice(options));
    const { context, debug, ...deviceOptions } = options;
    return new WebGpuBackend(ctx, !context, debug, deviceOptions);
  }

  // ---------------------------------------------------------------------------------------
  // Tensors

  /** Checks that `t` is a live tensor of this backend and returns it typed. */
  own(t: Tensor, op: string, what = 'input'): GpuTensor {
    if (t instanceof SplitTensor && t.backend === this) throw splitRefused(op, what, t, this.allocator.maxTensorBytes);
    if (!(t instanceof GpuTensor) || t.backend !== this) {
      throw new BackendMismatchError(`${op}: ${what} ${String(t)} belongs to another backend; move it with tensor(await t.read(), t.shape)`);
    }
    t.assertLive(op);
    if (t.storage.generation !== this.generation) {
      throw new DeviceLostError(`${op}: ${what} ${String(t)} was made on a GPU device that has since been lost; make it again on the recovered device`, 'destroyed');
    }
    return t;
  }

  /** `own`, but also a parameter held in blocks (split_tensor.ts), for the ops that run block by block. */
  #ownMaybeSplit(t: Tensor, op: string, what: string): GpuTensor | SplitTensor {
    if (t instanceof SplitTensor && t.backend === this) {
      t.assertLive(op);
      t.parts.forEach((p) => this.own(p, op, what));
      return t;
    }
    return this.own(t, op, what);
  }

  /** A tensor for a kernel to write in full: zero-filled when eager, but in a plan its buffer is shared and holds old values. */
  empty(shape: Shape, op = 'empty'): GpuTensor {
    return this.#make(shape, op, false);
  }

  /**
   * A tensor of zeros, in a plan too (the plan clears its buffer on every run). One larger
   * than a storage binding is held in blocks of rows (split_tensor.ts), like `tensor()`.
   */
  zeros(shape: Shape): GpuTensor | SplitTensor {
    const blocks = rowBlocks(shape, this.allocator.maxTensorBytes);
    if (!blocks) return this.zeroed(shape);
    return new SplitTensor(this, blocks.map((rows) => this.zeroed([rows, ...shape.slice(1)])), shape);
  }

  /** A tensor of zeros that fits one binding, for kernels that accumulate into it. */
  zeroed(shape: Shape): GpuTensor {
    return this.#make(shape, 'zeros', true);
  }

  #make(shape: Shape, op: string, zeroed: boolean): GpuTensor {
    this.assertUsable(op);
    assertValidShape(op, 'output', shape);
    const t = new GpuTensor(this, this.newStorage(shape, op, zeroed), shape);
    this.allocator.track(t);
    return t;
  }

  /** A tensor holding `data`; one larger than a storage binding is held in blocks of rows (split_tensor.ts). */
  tensor(data: Float32Array | readonly number[], shape: Shape): GpuTensor | SplitTensor {
    this.assertUsable('tensor');
    assertValidShape('tensor', 'data', shape);
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError('tensor', `data has ${data.length} values but shape ${fmtShape(shape)} needs ${sizeOf(shape)}`);
    }
    const blocks = rowBlocks(shape, this.allocator.maxTensorBytes);
    if (blocks) {
      const src = data instanceof Float32Array ? data : Float32Array.from(data);
      const row = sizeOf(shape.slice(1));
      const parts: GpuTensor[] = [];
      let at = 0;
      try {
        for (const rows of blocks) {
          parts.push(this.upload(src.subarray(at * row, (at + rows) * row), [rows, ...shape.slice(1)]));
          at += rows;
        }
      } catch (e) {
        for (const p of parts) p.dispose();
        throw e;
      }
      return new SplitTensor(this, parts, shape);
    }
    return this.upload(data, shape);
  }

  /** A tensor holding `data` in one buffer that fits one storage binding (refused with `LimitExceededError` if it does not). */
  upload(data: Float32Array | readonly number[], shape: Shape): GpuTensor {
    this.assertUsable('tensor');
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError('tensor', `data has ${data.length} values but shape ${fmtShape(shape)} needs ${sizeOf(shape)}`);
    }
    // Always a real buffer, even while recording a plan: data given up front is a constant.
    const t = new GpuTensor(this, this.allocator.storage(sizeOf(shape) * 4, 'tensor', shape), shape);
    if (data.length > 0) {
      const src = data instanceof Float32Array ? data : Float32Array.from(data);
      this.device.queue.writeBuffer(t.buffer, 0, src.buffer, src.byteOffset, src.byteLength);
    }
    return t;
  }

  write(t: Tensor, data: Float32Array): void {
    if (t instanceof SplitTensor && t.backend === this) {
      if (data.length !== t.size) throw new ShapeError('write', `${data.length} values for tensor ${fmtShape(t.shape)} of ${t.size}`);
      let at = 0;
      for (const p of t.parts) {
        this.write(p, data.subarray(at, at + p.size));
        at += p.size;
      }
      return;
    }
    const g = this.own(t, 'write');
    this.assertUsable('write');
    if (data.length !== g.size) throw new ShapeError('write', `${data.length} values for tensor ${fmtShape(g.shape)} of ${g.size}`);
    // Issued-but-unsubmitted work must see the old values: submit it first.
    this.flush();
    if (data.length > 0) this.device.queue.writeBuffer(g.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  async read(t: Tensor): Promise<Float32Array> {
    if (t instanceof SplitTensor && t.backend === this) {
      t.assertLive('read');
      const out = new Float32Array(t.size);
      let at = 0;
      for (const p of t.parts) {
        out.set(await this.read(p), at);
        at += p.size;
      }
      return out;
    }
    const g = this.own(t, 'read');
    this.assertUsable('read');
    const bytes = g.size * 4;
    if (bytes === 0) return new Float32Array(0);
    const staging = this.device.createBuffer({ label: 'readback', size: Math.ceil(bytes / 4) * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.flush((enc) => enc.copyBufferToBuffer(g.buffer, 0, staging, 0, bytes));
    try {
      await Promise.race([
        staging.mapAsync(GPUMapMode.READ),
        this.ctx.lost.then((info) => {
          throw new DeviceLostError(`read: the GPU device was lost while reading ${fmtShape(g.shape)} (${info.message})`, info.reason);
        }),
      ]);
      return new Float32Array(staging.getMappedRange().slice(0));
    } finally {
      staging.destroy();
    }
  }

  /** A new tensor handle sharing `t`'s buffer (reshape, flatten, dropout at inference). */
  view(t: GpuTensor, shape: Shape): GpuTensor {
    t.storage.refs++;
    return new GpuTensor(this, t.storage, shape);
  }

  /**
   * Records `build` on placeholder inputs of `inputShapes` into an execution plan (one submit
   * per run; see plan.ts). Tensors `build` reads that were made before (weights) stay the caller's.
   */
  compile(inputShapes: readonly Shape[], build: (inputs: Tensor[]) => readonly Tensor[], options: PlanOptions = {}): Promise<ExecutionPlan> {
    return ExecutionPlan.create(this, inputShapes, build, options);
  }

  dispatchReport(inputShapes: readonly Shape[], build: (inputs: Tensor[]) => readonly Tensor[]): DispatchReport {
    const { result, recording } = this.record(() => {
      const inputs = inputShapes.map((s) => this.empty(s, 'dispatch report input'));
      return [...inputs, ...build(inputs)];
    });
    // Nothing will run: free the placeholders and the tables and indices the kernels uploaded.
    for (const t of result) t.dispose();
    for (const b of recording.owned) b.destroy();
    return summarizeDispatches(
      recording.dispatches.map(({ call, scope }) => ({
        scope: scope ?? '',
        kernel: `${call.kernel.name}:${call.kernel.entryPoint}`,
        workgroups: call.workgroups[0] * call.workgroups[1] * call.workgroups[2],
        macs: call.macs ?? 0,
      })),
    );
  }

  /** Runs one op's kernel code in an allocation scope: if it throws, what it allocated is freed. */
  #op<T>(fn: () => T): T {
    return this.allocator.scope(fn);
  }

  // ---------------------------------------------------------------------------------------
  // Ops

  conv2d(x: Tensor, w: Tensor, bias: Tensor | undefined, params: Conv2dParams = {}): Tensor {
    const ws = this.#ownMaybeSplit(w, 'conv2d', 'weights');
    const args = [this.own(x, 'conv2d'), bias && this.own(bias, 'conv2d', 'bias'), params] as const;
    return this.#op(() => (ws instanceof SplitTensor ? conv2dSplit(this, args[0], ws, args[1], params) : conv2dGpu(this, args[0], ws, args[1], params)));
  }
  pool2d(x: Tensor, params: Pool2dParams): Tensor {
    return this.#op(() => pool2dGpu(this, this.own(x, 'pool2d'), params));
  }
  globalPool(x: Tensor, type: 'max' | 'avg'): Tensor {
    return this.#op(() => globalPoolGpu(this, this.own(x, 'globalPool'), type));
  }
  adaptiveAvgPool(x: Tensor, params: AdaptivePoolParams): Tensor {
    return this.#op(() => adaptiveAvgPoolGpu(this, this.own(x, 'adaptiveAvgPool'), params));
  }
  subsample(x: Tensor, coeff: Tensor, bias: Tensor, params: SubsampleParams = {}): Tensor {
    return this.#op(() => subsampleGpu(this, this.own(x, 'subsample'), this.own(coeff, 'subsample', 'coeff'), this.own(bias, 'subsample', 'bias'), params));
  }
  lrn(x: Tensor, params: LrnParams = {}): Tensor {
    return this.#op(() => lrnGpu(this, this.own(x, 'lrn'), params));
  }
  matmul(a: Tensor, b: Tensor, params: MatmulParams = {}): Tensor {
    const bias = params.bias && this.own(params.bias, 'matmul', 'bias');
    return this.#op(() => matmulGpu(this, this.own(a, 'matmul', 'a'), this.own(b, 'matmul', 'b'), bias, params));
  }
  dense(x: Tensor, w: Tensor, bias: Tensor | undefined, activation?: Activation): Tensor {
    const ws = this.#ownMaybeSplit(w, 'dense', 'weights');
    const xg = this.own(x, 'dense');
    const bg = bias && this.own(bias, 'dense', 'bias');
    return this.#op(() => (ws instanceof SplitTensor ? denseSplit(this, xg, ws, bg, activation) : denseGpu(this, xg, ws, bg, activation)));
  }
  rbf(x: Tensor, centers: Tensor): Tensor {
    return this.#op(() => rbfGpu(this, this.own(x, 'rbf'), this.own(centers, 'rbf', 'centers')));
  }
  softmax(x: Tensor, axis = -1): Tensor {
    return this.#op(() => softmaxGpu(this, this.own(x, 'softmax'), axis));
  }
  activation(x: Tensor, act: Activation): Tensor {
    return this.#op(() => activationGpu(this, this.own(x, 'activation'), act));
  }
  add(a: Tensor, b: Tensor): Tensor {
    return this.#op(() => addGpu(this, this.own(a, 'add', 'a'), this.own(b, 'add', 'b')));
  }
  mul(a: Tensor, b: Tensor): Tensor {
    return this.#op(() => mulGpu(this, this.own(a, 'mul', 'a'), this.own(b, 'mul', 'b')));
  }
  batchNorm(x: Tensor, params: BatchNormParams): Tensor {
    const own = (t: Tensor, what: string) => this.own(t, 'batchNorm', what);
    const xin = own(x, 'input');
    const p = { ...params, gamma: own(params.gamma, 'gamma'), beta: own(params.beta, 'beta'), mean: own(params.mean, 'mean'), variance: own(params.variance, 'variance') };
    return this.#op(() => batchNormGpu(this, xin, p));
  }
  concat(xs: readonly Tensor[], axis = 1): Tensor {
    return this.#op(() => concatGpu(this, xs.map((t, i) => this.own(t, 'concat', `input ${i}`)), axis));
  }
  reshape(x: Tensor, shape: Shape): Tensor {
    const g = this.own(x, 'reshape');
    return this.view(g, reshapeShape(g.shape, shape));
  }
  flatten(x: Tensor, axis = 1): Tensor {
    const g = this.own(x, 'flatten');
    return this.view(g, flattenShape(g.shape, axis));
  }
  dropout(x: Tensor, rate: number): Tensor {
    const g = this.own(x, 'dropout');
    checkDropoutRate(rate);
    return this.view(g, g.shape);
  }

  /** A primitive (src/ops/primitive.ts) with its WebGPU kernel, found by name in `GPU_KERNELS`; shapes are inferred first. */
  prim<A>(p: Primitive<A>, inputs: readonly Tensor[], attrs: A): Tensor {
    const gs = inputs.map((t, i) => this.own(t, p.name, `input ${i}`));
    const outShape = p.infer(gs.map((g) => g.shape), attrs);
    const kernel = GPU_KERNELS.get(p.name);
    if (!kernel) throw new WebCnnError(`${p.name}: the WebGPU backend has no kernel for this primitive`);
    return this.#op(() => kernel(this, gs, attrs as never, outShape));
  }

  // ---------------------------------------------------------------------------------------
  // Training (see ../training.ts)

  activationBackward(y: Tensor, dy: Tensor, act: Activation): Tensor {
    return this.#op(() => activationBackwardGpu(this, this.own(y, 'activationBackward', 'y'), this.own(dy, 'activationBackward', 'dy'), act));
  }
  conv2dBackward(x: Tensor, w: Tensor, dy: Tensor, params: Conv2dParams = {}, want: GradRequest = {}): Conv2dGrads {
    const ws = this.#ownMaybeSplit(w, 'conv2dBackward', 'weights');
    const xg = this.own(x, 'conv2dBackward');
    const dyg = this.own(dy, 'conv2dBackward', 'dy');
    return this.#op(() => (ws instanceof SplitTensor ? conv2dBackwardSplit(this, xg, ws, dyg, params, want) : conv2dBackwardGpu(this, xg, ws, dyg, params, want)));
  }
  denseBackward(x: Tensor, w: Tensor, dy: Tensor, want: GradRequest = {}): DenseGrads {
    const ws = this.#ownMaybeSplit(w, 'denseBackward', 'weights');
    const xg = this.own(x, 'denseBackward');
    const dyg = this.own(dy, 'denseBackward', 'dy');
    return this.#op(() => (ws instanceof SplitTensor ? denseBackwardSplit(this, xg, ws, dyg, want) : denseBackwardGpu(this, xg, ws, dyg, want)));
  }
  rbfBackward(x: Tensor, centers: Tensor, dy: Tensor): { dx: Tensor; dcenters: Tensor } {
    return this.#op(() => rbfBackwardGpu(this, this.own(x, 'rbfBackward'), this.own(centers, 'rbfBackward', 'centers'), this.own(dy, 'rbfBackward', 'dy')));
  }
  pool2dBackward(x: Tensor, dy: Tensor, params: Pool2dParams): Tensor {
    return this.#op(() => pool2dBackwardGpu(this, this.own(x, 'pool2dBackward'), this.own(dy, 'pool2dBackward', 'dy'), params));
  }
  globalPoolBackward(x: Tensor, dy: Tensor, type: 'max' | 'avg'): Tensor {
    return this.#op(() => globalPoolBackwardGpu(this, this.own(x, 'globalPoolBackward'), this.own(dy, 'globalPoolBackward', 'dy'), type));
  }
  adaptiveAvgPoolBackward(x: Tensor, dy: Tensor, params: AdaptivePoolParams): Tensor {
    return this.#op(() => adaptiveAvgPoolBackwardGpu(this, this.own(x, 'adaptiveAvgPoolBackward'), this.own(dy, 'adaptiveAvgPoolBackward', 'dy'), params));
  }
  subsampleBackward(x: Tensor, coeff: Tensor, dy: Tensor, params: SubsampleParams = {}): SubsampleGrads {
    return this.#op(() => subsampleBackwardGpu(this, this.own(x, 'subsampleBackward'), this.own(coeff, 'subsampleBackward', 'coeff'), this.own(dy, 'subsampleBackward', 'dy'), params));
  }
  lrnBackward(x: Tensor, dy: Tensor, params: LrnParams = {}): Tensor {
    return this.#op(() => lrnBackwardGpu(this, this.own(x, 'lrnBackward'), this.own(dy, 'lrnBackward', 'dy'), params));
  }
  softmaxCrossEntropy(logits: Tensor, labels: Tensor): LossResult {
    return this.#op(() => softmaxCrossEntropyGpu(this, this.own(logits, 'softmaxCrossEntropy', 'logits'), this.own(labels, 'softmaxCrossEntropy', 'labels')));
  }
  mseLoss(pred: Tensor, target: Tensor): LossResult {
    return this.#op(() => mseLossGpu(this, this.own(pred, 'mseLoss', 'prediction'), this.own(target, 'mseLoss', 'target')));
  }
  rbfLoss(distances: Tensor, labels: Tensor): LossResult {
    return this.#op(() => rbfLossGpu(this, this.own(distances, 'rbfLoss', 'distances'), this.own(labels, 'rbfLoss', 'labels')));
  }
  batchNormTrain(x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor, params: BatchNormTrainParams = {}): BatchNormTrainResult {
    const o = (t: Tensor, what: string) => this.own(t, 'batchNormTrain', what);
    return this.#op(() => batchNormTrainGpu(this, o(x, 'input'), o(gamma, 'gamma'), o(beta, 'beta'), o(runningMean, 'runningMean'), o(runningVar, 'runningVar'), params));
  }
  batchNormBackward(x: Tensor, dy: Tensor, gamma: Tensor, mean: Tensor, invStd: Tensor): BatchNormGrads {
    const o = (t: Tensor, what: string) => this.own(t, 'batchNormBackward', what);
    return this.#op(() => batchNormBackwardGpu(this, o(x, 'input'), o(dy, 'dy'), o(gamma, 'gamma'), o(mean, 'mean'), o(invStd, 'invStd')));
  }
  dropoutTrain(x: Tensor, rate: number, seed: Tensor): { y: Tensor; mask: Tensor } {
    return this.#op(() => dropoutTrainGpu(this, this.own(x, 'dropoutTrain'), rate, this.own(seed, 'dropoutTrain', 'seed')));
  }
  augment(x: Tensor, seed: Tensor, params: AugmentParams = {}): Tensor {
    return this.#op(() => augmentGpu(this, this.own(x, 'augment'), this.own(seed, 'augment', 'seed'), params));
  }
  sumTo(x: Tensor, shape: Shape): Tensor {
    return this.#op(() => sumToGpu(this, this.own(x, 'sumTo'), shape));
  }
  slice(x: Tensor, axis: number, start: number, size: number): Tensor {
    return this.#op(() => sliceGpu(this, this.own(x, 'slice'), axis, start, size));
  }
  accumulate(acc: Tensor, x: Tensor): void {
    accumulateGpu(this, this.own(acc, 'accumulate', 'accumulator'), this.own(x, 'accumulate'));
  }
  sgdStep(param: Tensor, grad: Tensor, velocity: Tensor | undefined, hyper: Tensor, params: SgdParams = {}): void {
    const o = (t: Tensor, what: string) => this.own(t, 'sgdStep', what);
    const s = (t: Tensor, what: string) => this.#ownMaybeSplit(t, 'sgdStep', what);
    const p = s(param, 'param');
    if (p instanceof SplitTensor) return sgdStepSplit(this, p, s(grad, 'grad'), velocity && s(velocity, 'velocity'), o(hyper, 'hyper'), params);
    sgdStepGpu(this, o(param, 'param'), o(grad, 'grad'), velocity && o(velocity, 'velocity'), o(hyper, 'hyper'), params);
  }
  adamStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, hyper: Tensor, params: AdamParams = {}): void {
    const o = (t: Tensor, what: string) => this.own(t, 'adamStep', what);
    const s = (t: Tensor, what: string) => this.#ownMaybeSplit(t, 'adamStep', what);
    const p = s(param, 'param');
    if (p instanceof SplitTensor) return adamStepSplit(this, p, s(grad, 'grad'), s(m, 'm'), s(v, 'v'), o(hyper, 'hyper'), params);
    adamStepGpu(this, o(param, 'param'), o(grad, 'grad'), o(m, 'm'), o(v, 'v'), o(hyper, 'hyper'), params);
  }
}
