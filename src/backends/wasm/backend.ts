/**
 * The wasm backend: the engine on the CPU at speed. Tensors live in one WebAssembly memory;
 * the hot ops run as SIMD128 kernels (wasm/*.ts) on one thread or several (Workers on a shared
 * memory); every other op runs the reference backend's kernel on the same memory, so the
 * backend has every op the engine has, forward and backward.
 */
import { CpuBackend, type OwnedHostTensor } from '../cpu/backend.js';
import type { HostTensor } from '../cpu/host_tensor.js';
import { Tensor } from '../../tensor.js';
import { type Shape, fmtShape, sizeOf, assertValidShape } from '../../shape.js';
import { ShapeError } from '../../errors.js';
import { type Conv2dParams, inferConv2d } from '../../ops/conv2d.js';
import { inferDense } from '../../ops/matmul.js';
import type { Activation } from '../../ops/activation.js';
import { WasmRuntime } from './runtime.js';
import { checkThreads } from './threads_option.js';
import { WasmTensor } from './wasm_tensor.js';
import { conv2dWasm } from './kernels/conv2d.js';
import { denseWasm } from './kernels/dense.js';
import { fusesActivation } from './kernels/fused.js';
import { WASM_KERNELS } from './kernels.js';
import type { Primitive } from '../../ops/primitive.js';
import { normalizeActivation, inferActivationBackward } from '../../ops/activation.js';
import { inferBinary } from '../../ops/elementwise.js';
import { activationWasm, binaryWasm } from './kernels/elementwise.js';
import { type AdaptivePoolParams, type Pool2dParams, type SubsampleParams, inferAdaptiveAvgPool, inferGlobalPool, inferPool2d, inferSubsample } from '../../ops/pool.js';
import { adaptiveAvgPoolWasm, globalPoolWasm, pool2dWasm } from './kernels/pool.js';
import { type BatchNormParams, inferBatchNorm, inferConcat } from '../../ops/normalization.js';
import { batchNormWasm, concatWasm, softmaxWasm } from './kernels/norm.js';
import { inferSoftmax } from '../../ops/matmul.js';
import type { GradRequest, Conv2dGrads, DenseGrads, SubsampleGrads, SgdParams, AdamParams } from '../training.js';
import { inferConv2dBackward, wantedGrads } from '../../ops/conv2d_backward.js';
import { conv2dBackwardWasm, denseTableWeights, denseTableConfig } from './kernels/conv2d_backward.js';
import type { Conv2dConfig } from '../../ops/conv2d.js';
import { inferDenseBackward } from '../../ops/matmul_backward.js';
import { inferPool2dBackward, inferSubsampleBackward } from '../../ops/pool_backward.js';
import { inferSgd, inferAdam } from '../../ops/optimizer.js';
import { checkNoAlias } from '../../ops/tensor_ops.js';
import {
  denseBackwardWasm, hasActivationGrad, activationBackwardWasm, pool2dBackwardWasm, subsampleWasm, subsampleBackwardWasm, sgdStepWasm, adamStepWasm,
} from './kernels/training.js';

export interface WasmBackendOptions {
  /**
   * Threads to compute with (default: the machine's cores, at most 4). More than 1 needs
   * SharedArrayBuffer: Node, or a cross-origin-isolated page; elsewhere the backend uses 1.
   */
  threads?: number;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** Whether this environment can share memory with workers. */
export function canUseThreads(): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  return isNode || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

async function defaultThreads(): Promise<number> {
  let cores = 1;
  if (isNode) {
    const name = 'node:os';
    const os = (await import(/* @vite-ignore */ name)) as typeof import('node:os');
    cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  } else if (typeof navigator !== 'undefined') cores = navigator.hardwareConcurrency || 1;
  return Math.max(1, Math.min(4, cores));
}

export class WasmBackend extends CpuBackend {
  override readonly name = 'wasm' as const;
  readonly #rt: WasmRuntime;
  /** Why fewer threads than asked for run, if so. */
  readonly threadsNote: string | undefined;

  private constructor(rt: WasmRuntime, note: string | undefined) {
    super();
    this.#rt = rt;
    this.threadsNote = note;
  }

  static async create(options: WasmBackendOptions = {}): Promise<WasmBackend> {
    const asked = options.threads;
    checkThreads(asked, 'wasm backend');
    let threads = asked ?? (await defaultThreads());
    let note: string | undefined;
    if (threads > 1 && !canUseThreads()) {
      note = `one thread: this page is not cross-origin isolated, so it cannot share memory with workers (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)`;
      threads = 1;
    }
    return new WasmBackend(await WasmRuntime.create(threads), note);
  }

  /** Threads the kernels run on (1: the calling thread only). */
  get threads(): number {
    return this.#rt.threads;
  }

  /** Bytes of WebAssembly memory the backend's allocator has taken (its high-water mark). */
  get memoryBytes(): number {
    return this.#rt.arena.reservedBytes;
  }

  protected override owns(t: Tensor): t is OwnedHostTensor {
    return t instanceof WasmTensor && t.backend === this;
  }

  #ownW(t: Tensor, op: string, what = 'input'): WasmTensor {
    return this.own(t, op, what) as WasmTensor;
  }

  /** A new tensor of `shape`, contents undefined. */
  #alloc(shape: Shape, what = 'a tensor'): WasmTensor {
    const bytes = sizeOf(shape) * 4;
    this.noteAlloc(bytes);
    return new WasmTensor(this, this.#rt.arena.alloc(bytes, what), shape);
  }

  protected override wrap(h: HostTensor): Tensor {
    if (h instanceof WasmTensor && h.backend === this) return h;
    const src = h.data;
    const memory = this.#rt.arena.memory;
    const inMemory = src.buffer === memory.buffer;
    const t = this.#alloc(h.shape);
    // A result that views this memory (an op that passes its input through) must be viewed
    // again after the allocation, which may have grown the memory and detached the old view.
    t.data.set(inMemory ? new Float32Array(memory.buffer, src.byteOffset, src.length) : src);
    return t;
  }

  protected override view(t: OwnedHostTensor, shape: Shape): Tensor {
    return new WasmTensor(this, (t as WasmTensor).block.retain(), shape);
  }

  override tensor(data: Float32Array | readonly number[], shape: Shape): Tensor {
    assertValidShape('tensor', 'data', shape);
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError('tensor', `data has ${data.length} values but shape ${fmtShape(shape)} needs ${sizeOf(shape)}`);
    }
    const t = this.#alloc(shape);
    t.data.set(data);
    return t;
  }

  override zeros(shape: Shape): Tensor {
    assertValidShape('zeros', 'shape', shape);
    const t = this.#alloc(shape);
    t.data.fill(0);
    return t;
  }

  override dispose(): void {
    super.dispose();
    this.#rt.dispose();
  }

  /** `t` with the activation applied by the reference kernel when the wasm epilogue could not (t is consumed). */
  #finishActivation(t: WasmTensor, act: Activation | undefined, fused: boolean): Tensor {
    if (fused || act === undefined) return t;
    try {
      return this.activation(t, act);
    } finally {
      t.dispose();
    }
  }

  override conv2d(x: Tensor, w: Tensor, bias: Tensor | undefined, params: Conv2dParams = {}): Tensor {
    const xt = this.#ownW(x, 'conv2d'), wt = this.#ownW(w, 'conv2d', 'weights'), bt = bias && this.#ownW(bias, 'conv2d', 'bias');
    const cfg = inferConv2d(xt.shape, wt.shape, bt?.shape, params);
    if (cfg.table) return this.#conv2dTable(xt, wt, bt, cfg, params.activation);
    const y = this.#alloc(cfg.outShape);
    const { pads } = cfg;
    if (cfg.groups === 1 && cfg.outH === 1 && cfg.outW === 1 && cfg.kernelH === cfg.inH && cfg.kernelW === cfg.inW && pads.top + pads.bottom + pads.left + pads.right === 0) {
      // The window is the whole input (LeNet-5's C5): a dense layer over the flattened images,
      // whose batch rows the GEMM blocks together instead of one output pixel per image.
      const K = cfg.inChannels * cfg.inH * cfg.inW;
      denseWasm(this.#rt, xt, wt, bt, inferDense([cfg.batch, K], [cfg.outChannels, K], bt?.shape, params.activation), y);
    } else conv2dWasm(this.#rt, xt, wt, bt, cfg, y);
    return this.#finishActivation(y, params.activation, fusesActivation(cfg.activation));
  }

  override dense(x: Tensor, w: Tensor, bias: Tensor | undefined, activation?: Activation): Tensor {
    const xt = this.#ownW(x, 'dense'), wt = this.#ownW(w, 'dense', 'weights'), bt = bias && this.#ownW(bias, 'dense', 'bias');
    const g = inferDense(xt.shape, wt.shape, bt?.shape, activation);
    const y = this.#alloc(g.outShape);
    denseWasm(this.#rt, xt, wt, bt, g, y);
    return this.#finishActivation(y, activation, fusesActivation(g.act));
  }

  override prim<A>(p: Primitive<A>, inputs: readonly Tensor[], attrs: A): Tensor {
    const kernel = WASM_KERNELS.get(p.name);
    if (!kernel) return super.prim(p, inputs, attrs);
    const ts = inputs.map((t, i) => this.#ownW(t, p.name, `input ${i}`));
    const out = this.#alloc(p.infer(ts.map((t) => t.shape), attrs));
    if (kernel(this.#rt, ts, attrs as never, out)) return out;
    out.dispose();
    return super.prim(p, inputs, attrs);
  }

  // ---- forward kernels (wfwd) ----

  override activation(x: Tensor, act: Activation): Tensor {
    const xt = this.#ownW(x, 'activation');
    const cfg = normalizeActivation('activation', act);
    const y = this.#alloc(xt.shape);
    if (activationWasm(this.#rt, xt, cfg, y)) return y;
    y.dispose();
    return super.activation(x, act);
  }

  #binary(op: 'add' | 'mul', a: Tensor, b: Tensor): Tensor {
    const at = this.#ownW(a, op, 'a'), bt = this.#ownW(b, op, 'b');
    const y = this.#alloc(inferBinary(op, at.shape, bt.shape).outShape);
    if (binaryWasm(this.#rt, op, at, bt, normalizeActivation(op, undefined), y)) return y;
    y.dispose();
    return op === 'add' ? super.add(a, b) : super.mul(a, b);
  }

  override add(a: Tensor, b: Tensor): Tensor {
    return this.#binary('add', a, b);
  }

  override mul(a: Tensor, b: Tensor): Tensor {
    return this.#binary('mul', a, b);
  }

  override pool2d(x: Tensor, params: Pool2dParams): Tensor {
    const xt = this.#ownW(x, 'pool2d');
    const g = inferPool2d(xt.shape, params);
    const y = this.#alloc(g.outShape);
    pool2dWasm(this.#rt, xt, g, y);
    return y;
  }

  override globalPool(x: Tensor, type: 'max' | 'avg'): Tensor {
    const xt = this.#ownW(x, 'globalPool');
    const g = inferGlobalPool(xt.shape, type);
    const y = this.#alloc(g.outShape);
    globalPoolWasm(this.#rt, xt, g, type, y);
    return y;
  }

  override adaptiveAvgPool(x: Tensor, params: AdaptivePoolParams): Tensor {
    const xt = this.#ownW(x, 'adaptiveAvgPool');
    const g = inferAdaptiveAvgPool(xt.shape, params);
    const y = this.#alloc(g.outShape);
    adaptiveAvgPoolWasm(this.#rt, xt, g, y);
    return y;
  }

  override batchNorm(x: Tensor, params: BatchNormParams): Tensor {
    const own = (t: Tensor, what: string) => this.#ownW(t, 'batchNorm', what);
    const xt = own(x, 'input');
    const p = { gamma: own(params.gamma, 'gamma'), beta: own(params.beta, 'beta'), mean: own(params.mean, 'mean'), variance: own(params.variance, 'variance') };
    const g = inferBatchNorm(xt.shape, { gamma: p.gamma.shape, beta: p.beta.shape, mean: p.mean.shape, variance: p.variance.shape }, params);
    const y = this.#alloc(g.outShape);
    if (batchNormWasm(this.#rt, xt, p, g, y)) return y;
    y.dispose();
    return super.batchNorm(x, params);
  }

  override softmax(x: Tensor, axis = -1): Tensor {
    const xt = this.#ownW(x, 'softmax');
    inferSoftmax(xt.shape, axis);
    const y = this.#alloc(xt.shape);
    softmaxWasm(this.#rt, xt, axis, false, y);
    return y;
  }

  override concat(xs: readonly Tensor[], axis = 1): Tensor {
    const ts = xs.map((t, i) => this.#ownW(t, 'concat', `input ${i}`));
    const y = this.#alloc(inferConcat(ts.map((t) => t.shape), axis).outShape);
    concatWasm(ts, axis, y);
    return y;
  }

  // ---- training kernels (wtrain) ----

  /** Runs `fill` (a kernel writing into `ts`), disposing the new tensors `ts` if it throws. */
  #outputs<T extends (WasmTensor | undefined)[]>(ts: T, fill: () => void): T {
    try {
      fill();
    } catch (e) {
      for (const t of ts) t?.dispose();
      throw e;
    }
    return ts;
  }

  /** A connection-table conv (LeNet-5's C3) as the dense conv of its weights expanded with zero kernels. */
  #conv2dTable(x: WasmTensor, w: WasmTensor, bias: WasmTensor | undefined, cfg: Conv2dConfig, act: Activation | undefined): Tensor {
    const dense = denseTableConfig(cfg);
    const wd = new WasmTensor(this, denseTableWeights(this.#rt, cfg, w.ptr), [cfg.outChannels, cfg.inChannels, cfg.kernelH, cfg.kernelW]);
    const y = this.#alloc(cfg.outShape);
    try {
      conv2dWasm(this.#rt, x, wd, bias, dense, y);
    } catch (e) {
      y.dispose();
      throw e;
    } finally {
      wd.dispose();
    }
    return this.#finishActivation(y, act, fusesActivation(cfg.activation));
  }

  override conv2dBackward(x: Tensor, w: Tensor, dy: Tensor, params: Conv2dParams = {}, want: GradRequest = {}): Conv2dGrads {
    const op = 'conv2dBackward';
    const xt = this.#ownW(x, op), wt = this.#ownW(w, op, 'weights'), dyt = this.#ownW(dy, op, 'dy');
    const cfg = inferConv2dBackward(xt.shape, wt.shape, dyt.shape, params);
    const wanted = wantedGrads(want);
    const dx = wanted.input ? this.#alloc(xt.shape) : undefined;
    const dw = wanted.weight ? this.#alloc(wt.shape) : undefined;
    const db = wanted.bias ? this.#alloc([cfg.outChannels]) : undefined;
    this.#outputs([dx, dw, db], () => conv2dBackwardWasm(this.#rt, xt.ptr, wt.ptr, dyt.ptr, cfg, { dx: dx?.ptr ?? 0, dw: dw?.ptr ?? 0, db: db?.ptr ?? 0 }));
    return { dx, dw, db };
  }

  override denseBackward(x: Tensor, w: Tensor, dy: Tensor, want: GradRequest = {}): DenseGrads {
    const op = 'denseBackward';
    const xt = this.#ownW(x, op), wt = this.#ownW(w, op, 'weights'), dyt = this.#ownW(dy, op, 'dy');
    const { n, f: IN, k: OUT } = inferDenseBackward(xt.shape, wt.shape, dyt.shape);
    const wanted = wantedGrads(want);
    const dx = wanted.input ? this.#alloc([n, IN]) : undefined;
    const dw = wanted.weight ? this.#alloc([OUT, IN]) : undefined;
    const db = wanted.bias ? this.#alloc([OUT]) : undefined;
    this.#outputs([dx, dw, db], () => denseBackwardWasm(this.#rt, xt.ptr, wt.ptr, dyt.ptr, n, IN, OUT, dx?.ptr ?? 0, dw?.ptr ?? 0, db?.ptr ?? 0));
    return { dx, dw, db };
  }

  override activationBackward(y: Tensor, dy: Tensor, act: Activation): Tensor {
    const op = 'activationBackward';
    const yt = this.#ownW(y, op, 'y'), dyt = this.#ownW(dy, op, 'dy');
    const cfg = inferActivationBackward(yt.shape, dyt.shape, act);
    if (!hasActivationGrad(cfg)) return super.activationBackward(y, dy, act);
    const dx = this.#alloc(yt.shape);
    return this.#outputs([dx], () => activationBackwardWasm(this.#rt, yt.ptr, dyt.ptr, dx.ptr, dx.size, cfg))[0];
  }

  override pool2dBackward(x: Tensor, dy: Tensor, params: Pool2dParams): Tensor {
    const op = 'pool2dBackward';
    const xt = this.#ownW(x, op), dyt = this.#ownW(dy, op, 'dy');
    const g = inferPool2dBackward(xt.shape, dyt.shape, params);
    const dx = this.#alloc(xt.shape);
    return this.#outputs([dx], () => pool2dBackwardWasm(this.#rt, xt.ptr, dyt.ptr, dx.ptr, g))[0];
  }

  override subsample(x: Tensor, coeff: Tensor, bias: Tensor, params: SubsampleParams = {}): Tensor {
    const op = 'subsample';
    const xt = this.#ownW(x, op), ct = this.#ownW(coeff, op, 'coeff'), bt = this.#ownW(bias, op, 'bias');
    const g = inferSubsample(xt.shape, ct.shape, bt.shape, params);
    const y = this.#alloc(g.outShape);
    this.#outputs([y], () => subsampleWasm(this.#rt, xt.ptr, ct.ptr, bt.ptr, y.ptr, g));
    if (fusesActivation(g.activation) || params.activation === undefined) return y;
    // An activation the epilogue does not apply runs as the backend's own activation op.
    try {
      return this.activation(y, params.activation);
    } finally {
      y.dispose();
    }
  }

  override subsampleBackward(x: Tensor, coeff: Tensor, dy: Tensor, params: SubsampleParams = {}): SubsampleGrads {
    const op = 'subsampleBackward';
    const xt = this.#ownW(x, op), ct = this.#ownW(coeff, op, 'coeff'), dyt = this.#ownW(dy, op, 'dy');
    const g = inferSubsampleBackward(xt.shape, ct.shape, dyt.shape, params);
    const dx = this.#alloc(xt.shape), dcoeff = this.#alloc([g.c]), dbias = this.#alloc([g.c]);
    this.#outputs([dx, dcoeff, dbias], () => subsampleBackwardWasm(this.#rt, xt.ptr, ct.ptr, dyt.ptr, dx.ptr, dcoeff.ptr, dbias.ptr, g));
    return { dx, dcoeff, dbias };
  }

  override sgdStep(param: Tensor, grad: Tensor, velocity: Tensor | undefined, hyper: Tensor, params: SgdParams = {}): void {
    const op = 'sgdStep';
    const p = this.#ownW(param, op, 'param'), g = this.#ownW(grad, op, 'grad'), h = this.#ownW(hyper, op, 'hyper');
    const v = velocity && this.#ownW(velocity, op, 'velocity');
    const cfg = inferSgd(p.shape, g.shape, v?.shape, h.shape, params);
    const state: [string, unknown][] = cfg.momentum > 0 && v ? [['velocity', v.block]] : [];
    checkNoAlias(op, [['param', p.block], ...state, ['grad', g.block], ['hyper', h.block]], 1 + state.length);
    sgdStepWasm(this.#rt, p.ptr, g.ptr, v?.ptr ?? 0, h.ptr, p.size, cfg);
  }

  override adamStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, hyper: Tensor, params: AdamParams = {}): void {
    const op = 'adamStep';
    const p = this.#ownW(param, op, 'param'), g = this.#ownW(grad, op, 'grad'), h = this.#ownW(hyper, op, 'hyper');
    const mt = this.#ownW(m, op, 'm'), vt = this.#ownW(v, op, 'v');
    const cfg = inferAdam(p.shape, g.shape, mt.shape, vt.shape, h.shape, params);
    checkNoAlias(op, [['param', p.block], ['m', mt.block], ['v', vt.block], ['grad', g.block], ['hyper', h.block]], 3);
    adamStepWasm(this.#rt, p.ptr, g.ptr, mt.ptr, vt.ptr, h.ptr, p.size, cfg);
  }
}
