/**
 * A webcnn graph run with TensorFlow.js ops (NHWC), so that tfjs-webgpu computes exactly the
 * model webcnn and onnxruntime compute, with the same weights.
 *
 * Inference gets what a converted tfjs graph model would run: the graph lowered as webcnn
 * lowers it (dropout gone, batch norm folded into the conv before it), weights transposed once
 * to tfjs's layouts (conv HWIO, dense (in, out)), and bias plus ReLU/ReLU6/sigmoid/leaky ReLU
 * through `tf.fused.conv2d` / `tf.fused.matMul`. Training runs the graph as written, with
 * `tf.variable` parameters in PyTorch's layout transposed inside the step so the gradient
 * flows to the same parameters webcnn updates. The graph is a zoo model's, or the one webcnn
 * imports from an ONNX file (EfficientNet-B0's); only the layer types those use are mapped.
 *
 * Layout: activations are NHWC; a flatten transposes to NCHW first (PyTorch's feature order,
 * which the dense weights expect), skipped when the spatial size is 1×1.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Graph, type GraphNode, type LayerConfig, type Activation, checkGraph, inferGraph } from 'webcnn';
import { lowerForInference } from '../../src/graph/lower.js';
import { resolvePadding, windowOutputSize } from '../../src/ops/window.js';

type Fusable = 'relu' | 'relu6' | 'sigmoid' | 'leakyrelu' | 'linear';

const pair = (v: number | readonly [number, number] | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]];

/** The part of an activation tfjs can fuse, and what must run after. */
function splitActivation(act: Activation | undefined): { fused: Fusable; alpha?: number; after?: Activation } {
  if (act === undefined || act === 'none') return { fused: 'linear' };
  if (act === 'relu' || act === 'relu6' || act === 'sigmoid') return { fused: act };
  if (typeof act === 'object' && act.type === 'leakyRelu') return { fused: 'leakyrelu', alpha: act.alpha ?? 0.01 };
  return { fused: 'linear', after: act };
}

function activate(x: tf.Tensor, act: Activation | undefined): tf.Tensor {
  if (act === undefined || act === 'none') return x;
  if (typeof act === 'object' && act.type === 'leakyRelu') return tf.leakyRelu(x, act.alpha ?? 0.01);
  if (typeof act === 'object' && act.type === 'clip') return tf.clipByValue(x, act.min, act.max);
  switch (act) {
    case 'relu': return tf.relu(x);
    case 'relu6': return tf.relu6(x);
    case 'sigmoid': return tf.sigmoid(x);
    case 'tanh': return tf.tanh(x);
    case 'scaledTanh': return tf.mul(tf.tanh(tf.mul(x, 2 / 3)), 1.7159);
    // PyTorch's Hardswish and Hardsigmoid (MobileNetV3): x · clamp(x/6 + ½, 0, 1), clamp(αx + β, 0, 1).
    case 'hardSwish': return tf.mul(x, tf.clipByValue(tf.add(tf.mul(x, 1 / 6), 0.5), 0, 1));
    case 'hardSigmoid': return tf.clipByValue(tf.add(tf.mul(x, 1 / 6), 0.5), 0, 1);
    // SiLU (EfficientNet's swish), which webcnn's importer fuses from Sigmoid·x: tfjs's own composition.
    case 'silu': return tf.mul(x, tf.sigmoid(x));
  }
  if (typeof act === 'object' && act.type === 'hardSigmoid') return tf.clipByValue(tf.add(tf.mul(x, act.alpha ?? 1 / 6), act.beta ?? 0.5), 0, 1);
  throw new Error(`tfjs_net: activation ${JSON.stringify(act)} is not mapped`);
}

/** NCHW axis → NHWC axis for rank-4 values. */
const NHWC_AXIS = [0, 3, 1, 2];

/** Index into [compact rows…, one zero row] for every (out, in) pair of a dense kernel. */
function tableGather(table: readonly (readonly number[])[], cin: number): Int32Array {
  const conns = table.reduce((s, r) => s + r.length, 0);
  const idx = new Int32Array(table.length * cin).fill(conns);
  let row = 0;
  table.forEach((ins, o) => ins.forEach((i) => (idx[o * cin + i] = row++)));
  return idx;
}

interface ExecLike {
  readonly name: string;
  readonly layer: LayerConfig;
  readonly inputs: readonly string[];
  readonly params: readonly string[];
}

/** Parameter source: constants prepared for inference, or variables in PyTorch layout. */
type Params = (key: string) => tf.Tensor;

function runNode(n: ExecLike, ins: tf.Tensor[], p: Params, prepared: boolean): tf.Tensor {
  const L = n.layer;
  const x = ins[0];
  switch (L.type) {
    case 'conv2d': {
      const [, h, w, c] = x.shape as [number, number, number, number];
      const [kh, kw] = pair(L.kernelSize, 1);
      const stride = pair(L.stride, 1);
      const dilation = pair(L.dilation, 1);
      const pads = resolvePadding('conv2d', L.padding, [h, w], [kh, kw], stride, dilation, n.name);
      const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [pads.top, pads.bottom], [pads.left, pads.right], [0, 0]];
      const groups = L.groups ?? 1;
      const bias = L.useBias === false ? undefined : (p(n.params[1]) as tf.Tensor1D);
      const { fused, alpha, after } = splitActivation(L.activation);
      let filter = p(n.params[0]);
      if (groups > 1 && groups === c && L.filters === c) {
        // Depthwise: (C, 1, kH, kW) → (kH, kW, C, 1).
        if (!prepared) filter = tf.transpose(tf.reshape(filter, [c, kh, kw, 1]), [1, 2, 0, 3]);
        let y = tf.depthwiseConv2d(x as tf.Tensor4D, filter as tf.Tensor4D, stride, pad, 'NHWC', dilation);
        if (bias) y = tf.add(y, bias);
        return activate(y, L.activation);
      }
      if (groups > 1) throw new Error(`tfjs_net: conv2d '${n.name}': grouped convolution (groups ${groups}) is not mapped`);
      if (!prepared) filter = hwio(filter, L, c, kh, kw);
      const y = tf.fused.conv2d({
        x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides: stride, pad, dataFormat: 'NHWC', dilations: dilation,
        bias, activation: fused, leakyreluAlpha: alpha,
      });
      return activate(y, after);
    }
    case 'conv2dTranspose': {
      // U-Net's 2×2 up-convolutions: unpadded, no output padding, ungrouped.
      const [nb, h, w] = x.shape as [number, number, number, number];
      const [kh, kw] = pair(L.kernelSize, 1);
      const [sh, sw] = pair(L.strides, 1);
      const plain = (L.padding === undefined || L.padding === 0 || L.padding === 'valid') && pair(L.outputPadding, 0).every((v) => v === 0)
        && pair(L.dilation, 1).every((v) => v === 1) && (L.groups ?? 1) === 1;
      if (!plain) throw new Error(`tfjs_net: conv2dTranspose '${n.name}': padding, output padding, dilation or groups are not mapped`);
      // PyTorch's (C, Cout, kH, kW) → tfjs's (kH, kW, Cout, C).
      const filter = prepared ? p(n.params[0]) : tf.transpose(p(n.params[0]), [2, 3, 1, 0]);
      let y: tf.Tensor = tf.conv2dTranspose(x as tf.Tensor4D, filter as tf.Tensor4D, [nb, (h - 1) * sh + kh, (w - 1) * sw + kw, L.filters], [sh, sw], 'valid');
      if (L.useBias !== false) y = tf.add(y, p(n.params[1]));
      return activate(y, L.activation);
    }
    case 'pool2d': {
      const [, h, w] = x.shape as [number, number, number, number];
      const k = pair(L.kernelSize, 1);
      const s = L.stride === undefined ? k : pair(L.stride, 1);
      const pads = resolvePadding('pool2d', L.padding, [h, w], k, s, [1, 1], n.name);
      const ceil = L.ceilMode ?? false;
      const ho = windowOutputSize('pool2d', h, k[0], s[0], 1, pads.top, pads.bottom, ceil, () => n.name);
      const wo = windowOutputSize('pool2d', w, k[1], s[1], 1, pads.left, pads.right, ceil, () => n.name);
      // Pad explicitly (and for ceil mode, enough at the end for the last window).
      const bottom = Math.max(pads.bottom, (ho - 1) * s[0] + k[0] - h - pads.top);
      const right = Math.max(pads.right, (wo - 1) * s[1] + k[1] - w - pads.left);
      const padded = pads.top + bottom + pads.left + right > 0;
      if (L.pool === 'max') {
        const xp = padded ? tf.pad(x, [[0, 0], [pads.top, bottom], [pads.left, right], [0, 0]], -3.4e38) : x;
        return tf.maxPool(xp as tf.Tensor4D, k, s, 'valid');
      }
      if (padded && !(L.countIncludePad && bottom === pads.bottom && right === pads.right)) {
        throw new Error(`tfjs_net: pool2d '${n.name}': average pooling with padding that is not counted is not mapped`);
      }
      const xp = padded ? tf.pad(x, [[0, 0], [pads.top, bottom], [pads.left, right], [0, 0]]) : x;
      return tf.avgPool(xp as tf.Tensor4D, k, s, 'valid');
    }
    case 'globalPool':
      return L.pool === 'max' ? tf.max(x, [1, 2], true) : tf.mean(x, [1, 2], true);
    case 'adaptiveAvgPool': {
      const [nb, h, w, c] = x.shape as [number, number, number, number];
      const [oh, ow] = pair(L.outputSize, 1);
      if (oh === h && ow === w) return x;
      if (h % oh === 0 && w % ow === 0) return tf.avgPool(x as tf.Tensor4D, [h / oh, w / ow], [h / oh, w / ow], 'valid');
      // PyTorch's bins as two matmuls: rows then columns.
      const rows = tf.tensor2d(adaptiveBins(h, oh), [oh, h]);
      const cols = tf.tensor2d(adaptiveBins(w, ow), [ow, w]);
      const t = tf.matMul(tf.tile(tf.expandDims(rows, 0), [nb, 1, 1]), tf.reshape(x, [nb, h, w * c])); // (N, oh, W·C)
      const u = tf.reshape(tf.transpose(tf.reshape(t, [nb, oh, w, c]), [0, 1, 3, 2]), [nb, oh * c, w]);
      const v = tf.matMul(u, tf.tile(tf.expandDims(cols, 0), [nb, 1, 1]), false, true); // (N, oh·C, ow)
      return tf.transpose(tf.reshape(v, [nb, oh, c, ow]), [0, 1, 3, 2]);
    }
    case 'subsample': {
      const k = L.kernelSize ?? 2;
      const sum = tf.mul(tf.avgPool(x as tf.Tensor4D, k, k, 'valid'), k * k);
      return activate(tf.add(tf.mul(sum, p(n.params[0])), p(n.params[1])), L.activation);
    }
    case 'lrn': {
      const size = L.size ?? 5;
      if (size % 2 !== 1) throw new Error(`tfjs_net: lrn '${n.name}': even window ${size} is not mapped`);
      // PyTorch: x / (k + α/n · Σ x²)^β over n channels.
      return tf.localResponseNormalization(x as tf.Tensor4D, (size - 1) / 2, L.k ?? 2, (L.alpha ?? 1e-4) / size, L.beta ?? 0.75);
    }
    case 'batchNorm': {
      const [g, b, m, v] = n.params.map(p);
      return activate(tf.batchNorm(x, m, v, b, g, L.epsilon ?? 1e-5), L.activation);
    }
    case 'activation':
      return activate(x, L.activation);
    case 'dropout':
      return x;
    case 'flatten': {
      const [nb, h, w] = x.shape;
      const nchw = x.rank === 4 && h * w > 1 ? tf.transpose(x, [0, 3, 1, 2]) : x;
      return tf.reshape(nchw, [nb, -1]);
    }
    case 'dense': {
      const weight = prepared ? p(n.params[0]) : tf.transpose(p(n.params[0]));
      const bias = L.useBias === false ? undefined : p(n.params[1]);
      const { fused, alpha, after } = splitActivation(L.activation);
      const y = tf.fused.matMul({ a: x as tf.Tensor2D, b: weight as tf.Tensor2D, bias, activation: fused, leakyreluAlpha: alpha });
      return activate(y, after);
    }
    case 'rbf': {
      // ‖x − c‖² = ‖x‖² − 2 x·c + ‖c‖², with c (units, features).
      const c = p(n.params[0]);
      const xc = tf.matMul(x as tf.Tensor2D, c as tf.Tensor2D, false, true);
      return tf.add(tf.sub(tf.sum(tf.square(x), 1, true), tf.mul(xc, 2)), tf.reshape(tf.sum(tf.square(c), 1), [1, -1]));
    }
    case 'softmax':
      return tf.softmax(x);
    case 'add':
      return activate(ins.length === 2 ? tf.add(ins[0], ins[1]) : tf.addN(ins), L.activation);
    case 'mul':
      // Squeeze-and-excitation's (N, 1, 1, C) scale broadcasts over H×W in NHWC as in NCHW.
      return tf.mul(ins[0], ins[1]);
    case 'concat': {
      const axis = L.axis ?? 1;
      return tf.concat(ins, x.rank === 4 ? NHWC_AXIS[axis] : axis);
    }
    default:
      throw new Error(`tfjs_net: layer '${n.name}' of type ${L.type} is not mapped (the benchmarked models do not use it)`);
  }
}

/** (Cout, C, kH, kW) or a connection table's (connections, kH, kW) → (kH, kW, C, Cout). */
function hwio(w: tf.Tensor, L: LayerConfig & { type: 'conv2d' }, c: number, kh: number, kw: number): tf.Tensor {
  let dense = w;
  if (L.connectionTable) {
    const rows = tf.concat([tf.reshape(w, [-1, kh * kw]), tf.zeros([1, kh * kw])], 0);
    dense = tf.gather(rows, tf.tensor1d(tableGather(L.connectionTable, c), 'int32'));
  }
  return tf.transpose(tf.reshape(dense, [L.filters, c, kh, kw]), [2, 3, 1, 0]);
}

function adaptiveBins(n: number, out: number): Float32Array {
  const m = new Float32Array(out * n);
  for (let i = 0; i < out; i++) {
    const s = Math.floor((i * n) / out);
    const e = Math.ceil(((i + 1) * n) / out);
    for (let j = s; j < e; j++) m[i * n + j] = 1 / (e - s);
  }
  return m;
}

/** Inference: the lowered graph with constants in tfjs layouts. */
export class TfjsInference {
  readonly #nodes: readonly ExecLike[];
  readonly #outputs: readonly string[];
  readonly #inputName: string;
  readonly #consts = new Map<string, tf.Tensor>();

  constructor(graph: Graph, weights: ReadonlyMap<string, Float32Array>) {
    const order = checkGraph(graph);
    const info = inferGraph(graph, 1);
    const lowered = lowerForInference(graph, order, info.nodes, weights);
    const shapes = new Map<string, readonly number[]>(lowered.derivedShapes);
    for (const n of info.nodes) for (const p of n.params) shapes.set(`${n.name}.${p.name}`, p.shape);
    this.#nodes = lowered.nodes;
    this.#outputs = lowered.outputs;
    this.#inputName = graph.inputs[0].name;
    const value = (k: string) => lowered.derived.get(k) ?? weights.get(k)!;
    for (const n of lowered.nodes) {
      const L = n.layer;
      n.params.forEach((k, i) => {
        const shape = shapes.get(k)!;
        let t = tf.tensor(value(k), [...shape]);
        if (L.type === 'conv2d' && i === 0) {
          const [kh, kw] = pair(L.kernelSize, 1);
          // Input channels: a table's largest map index + 1, else the weight's second dimension.
          const c = L.connectionTable ? Math.max(...L.connectionTable.flat()) + 1 : shape[1];
          const dw = (L.groups ?? 1) > 1 && L.groups === L.filters;
          const prepared = dw ? tf.transpose(tf.reshape(t, [L.filters, kh, kw, 1]), [1, 2, 0, 3]) : hwio(t, L, c, kh, kw);
          t.dispose();
          t = prepared;
        } else if (L.type === 'conv2dTranspose' && i === 0) {
          const tt = tf.transpose(t, [2, 3, 1, 0]);
          t.dispose();
          t = tt;
        } else if (L.type === 'dense' && i === 0) {
          const tt = tf.transpose(t);
          t.dispose();
          t = tt;
        }
        this.#consts.set(k, t);
      });
    }
  }

  /** One forward: NHWC input values → the output's values (NCHW order for rank-4 outputs). */
  async run(nhwc: Float32Array, shape: readonly [number, number, number, number]): Promise<Float32Array> {
    const y = tf.tidy(() => {
      const values = new Map<string, tf.Tensor>([[this.#inputName, tf.tensor4d(nhwc, [...shape])]]);
      for (const n of this.#nodes) values.set(n.name, runNode(n, n.inputs.map((i) => values.get(i)!), (k) => this.#consts.get(k)!, true));
      const out = values.get(this.#outputs[0])!;
      return out.rank === 4 ? tf.transpose(out, [0, 3, 1, 2]) : out;
    });
    const data = (await y.data()) as Float32Array;
    y.dispose();
    return data;
  }

  dispose(): void {
    for (const t of this.#consts.values()) t.dispose();
    this.#consts.clear();
  }
}

/** Training: the graph as written, parameters as variables in PyTorch's layouts. */
export class TfjsTrainer {
  readonly #order: readonly GraphNode[];
  readonly #graph: Graph;
  readonly #vars = new Map<string, tf.Variable>();
  readonly #paramKeys = new Map<string, string[]>();
  readonly #trainable: tf.Variable[] = [];
  readonly #optimizer: tf.Optimizer;
  readonly #loss: 'rbf' | 'crossEntropy';
  readonly #classes: number;

  constructor(graph: Graph, weights: ReadonlyMap<string, Float32Array>, optimizer: { lr: number; momentum: number }) {
    this.#graph = graph;
    this.#order = checkGraph(graph);
    const info = inferGraph(graph, 1);
    for (const n of info.nodes) {
      for (const p of n.params) {
        const key = `${n.name}.${p.name}`;
        const v = tf.variable(tf.tensor(weights.get(key)!, [...p.shape]), p.trainable, key);
        this.#vars.set(key, v);
        this.#paramKeys.set(n.name, [...(this.#paramKeys.get(n.name) ?? []), key]);
        if (p.trainable) this.#trainable.push(v);
      }
    }
    const out = this.#order.find((n) => n.name === graph.outputs[0])!;
    this.#loss = out.layer.type === 'rbf' ? 'rbf' : 'crossEntropy';
    this.#classes = info.outputShapes[0][1];
    this.#optimizer = tf.train.momentum(optimizer.lr, optimizer.momentum);
  }

  /** One SGD step on an NHWC batch; returns the mean loss (read back only when asked). */
  step(nhwc: tf.Tensor4D, labels: tf.Tensor1D, readLoss: boolean): Promise<number> | undefined {
    const loss = this.#optimizer.minimize(() => {
      const values = new Map<string, tf.Tensor>([[this.#graph.inputs[0].name, nhwc]]);
      for (const node of this.#order) {
        const exec: ExecLike = { ...node, params: this.#paramKeys.get(node.name) ?? [] };
        values.set(node.name, runNode(exec, node.inputs.map((i) => values.get(i)!), (k) => this.#vars.get(k)!, false));
      }
      const y = values.get(this.#graph.outputs[0])! as tf.Tensor2D;
      const onehot = tf.oneHot(labels, this.#classes);
      if (this.#loss === 'rbf') return tf.mean(tf.sum(tf.mul(y, onehot), 1)) as tf.Scalar;
      return tf.losses.softmaxCrossEntropy(onehot, y) as tf.Scalar;
    }, readLoss, this.#trainable);
    if (!loss) return undefined;
    return loss.data().then((d) => {
      loss.dispose();
      return d[0];
    });
  }

  dispose(): void {
    for (const v of this.#vars.values()) v.dispose();
    this.#optimizer.dispose();
  }
}
