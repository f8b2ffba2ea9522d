/**
 * Layers: what a model is made of. A layer is plain data (`LayerConfig`, serialisable) plus,
 * per type, three pure functions: the shapes of its parameters given its input shapes, how
 * to apply it with any backend, and its FLOPs. Shapes are inferred by applying the layer on the
 * shape-only meta backend, so there is one code path for shapes, the CPU and the GPU.
 *
 * Parameter names follow PyTorch's state_dict (`weight`, `bias`, `running_mean`,
 * `running_var`), so weights exported from PyTorch map onto them by name.
 */
import type { Backend } from '../backends/backend.js';
import type { Tensor } from '../tensor.js';
import { type Shape, sizeOf } from '../shape.js';
import type { Activation } from '../ops/activation.js';
import type { Padding2d } from '../ops/conv2d.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';

/** How a parameter is initialised when a model is built with random weights. */
export type Init =
  | { kind: 'uniform'; bound: number }
  | { kind: 'constant'; value: number }
  /** Fixed values given by the architecture (LeNet-5's RBF centres). */
  | { kind: 'values'; values: Float32Array };

export interface ParamSpec {
  /** Name within the layer: `weight`, `bias`, `running_mean`, … */
  readonly name: string;
  readonly shape: Shape;
  readonly init: Init;
  /** False for statistics (batch norm's running mean/var) and fixed parameters (LeNet-5's RBF centres). */
  readonly trainable: boolean;
  /**
   * A buffer, not a parameter (PyTorch's distinction): batch norm's running statistics. Saved
   * and loaded with the weights, but not counted in parameter totals.
   */
  readonly buffer?: boolean;
}

export interface Conv2dLayer {
  type: 'conv2d';
  filters: number;
  kernelSize: number | readonly [number, number];
  stride?: number | readonly [number, number];
  padding?: Padding2d;
  dilation?: number | readonly [number, number];
  groups?: number;
  /** Default true. */
  useBias?: boolean;
  activation?: Activation;
  /** LeNet-5's C3: the input maps each output map reads. */
  connectionTable?: readonly (readonly number[])[];
  /** Weight init: PyTorch's default (uniform ±1/√fanIn) or LeCun 1998's (uniform ±2.4/fanIn). */
  init?: 'pytorch' | 'lecun98';
}
export interface Pool2dLayer {
  type: 'pool2d';
  pool: 'max' | 'avg';
  kernelSize: number | readonly [number, number];
  stride?: number | readonly [number, number];
  padding?: Padding2d;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}
export interface GlobalPoolLayer {
  type: 'globalPool';
  pool: 'max' | 'avg';
}
/** PyTorch's AdaptiveAvgPool2d: torchvision's AlexNet (6×6) and VGG (7×7) heads. */
export interface AdaptiveAvgPoolLayer {
  type: 'adaptiveAvgPool';
  outputSize: number | readonly [number, number];
}
export interface SubsampleLayer {
  type: 'subsample';
  kernelSize?: number;
  activation?: Activation;
}
export interface LrnLayer {
  type: 'lrn';
  size?: number;
  alpha?: number;
  beta?: number;
  k?: number;
}
export interface BatchNormLayer {
  type: 'batchNorm';
  epsilon?: number;
  /** Running-average momentum used by training (PyTorch convention, default 0.1). */
  momentum?: number;
  activation?: Activation;
}
export interface ActivationLayer {
  type: 'activation';
  activation: Activation;
}
export interface DropoutLayer {
  type: 'dropout';
  rate: number;
}
export interface FlattenLayer {
  type: 'flatten';
}
export interface DenseLayer {
  type: 'dense';
  units: number;
  useBias?: boolean;
  activation?: Activation;
  init?: 'pytorch' | 'lecun98';
}
export interface RbfLayer {
  type: 'rbf';
  units: number;
  /** Fixed centres, (units · features) values; default random ±1. */
  centers?: Float32Array;
}
export interface SoftmaxLayer {
  type: 'softmax';
  /** Axis of the normalisation, batch included (default -1, the last). */
  axis?: number;
}
export interface AddLayer {
  type: 'add';
  activation?: Activation;
}
export interface ConcatLayer {
  type: 'concat';
  axis?: number;
}
/** Elementwise product of two inputs, NumPy broadcasting. */
export interface MulLayer {
  type: 'mul';
}
/**
 * The input combined elementwise with a constant parameter `value` of `shape` (NumPy
 * broadcasting against the batched input): ONNX's Add/Mul with an initializer operand.
 */
export interface BinaryConstLayer {
  type: 'binaryConst';
  op: 'add' | 'mul';
  shape: readonly number[];
}
/**
 * Matrix product: with `weightShape` (K, N) the input (…, M, K) times the parameter `weight`;
 * without it, the first input times the second.
 */
export interface MatmulLayer {
  type: 'matmul';
  weightShape?: readonly [number, number];
}
/** Same data, new shape per sample (the batch dimension is kept; one dimension may be -1). */
export interface ReshapeLayer {
  type: 'reshape';
  shape: readonly number[];
}

export type LayerConfig =
  | Conv2dLayer
  | Pool2dLayer
  | GlobalPoolLayer
  | AdaptiveAvgPoolLayer
  | SubsampleLayer
  | LrnLayer
  | BatchNormLayer
  | ActivationLayer
  | DropoutLayer
  | FlattenLayer
  | DenseLayer
  | RbfLayer
  | SoftmaxLayer
  | AddLayer
  | ConcatLayer
  | MulLayer
  | BinaryConstLayer
  | MatmulLayer
  | ReshapeLayer;

export type LayerType = LayerConfig['type'];

const pair = (v: number | readonly [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

function fanInInit(kind: 'pytorch' | 'lecun98' | undefined, fanIn: number): Init {
  return { kind: 'uniform', bound: kind === 'lecun98' ? 2.4 / fanIn : 1 / Math.sqrt(Math.max(1, fanIn)) };
}

function expectInputs(type: string, name: string, inputs: readonly Shape[], count: number | 'many'): void {
  const ok = count === 'many' ? inputs.length >= 1 : inputs.length === count;
  if (!ok) throw new ShapeError(type, `takes ${count === 'many' ? 'one or more inputs' : `${count} input${count === 1 ? '' : 's'}`}, got ${inputs.length}`, name);
}

function channels(type: string, name: string, x: Shape): number {
  if (x.length < 2) throw new ShapeError(type, `input must have a channel dimension, got rank ${x.length}`, name);
  return x[1];
}

/** Shapes and initialisation of a layer's parameters, given its input shapes (batch included). */
export function layerParams(layer: LayerConfig, name: string, inputs: readonly Shape[]): ParamSpec[] {
  const p = (pname: string, shape: Shape, init: Init, trainable = true, buffer = false): ParamSpec => ({ name: pname, shape, init, trainable, buffer });
  switch (layer.type) {
    case 'conv2d': {
      expectInputs(layer.type, name, inputs, 1);
      const c = channels(layer.type, name, inputs[0]);
      const [kh, kw] = pair(layer.kernelSize);
      if (!Number.isInteger(layer.filters) || layer.filters <= 0) {
        throw new InvalidArgumentError('conv2d', `filters must be a positive integer, got ${layer.filters}`, name);
      }
      let wShape: number[];
      let fanIn: number;
      if (layer.connectionTable) {
        const conns = layer.connectionTable.reduce((s, row) => s + row.length, 0);
        wShape = [conns, kh, kw];
        fanIn = (conns / Math.max(1, layer.connectionTable.length)) * kh * kw;
      } else {
        const g = layer.groups ?? 1;
        if (!Number.isInteger(g) || g <= 0 || c % g !== 0) {
          throw new ShapeError('conv2d', `groups ${g} must divide the ${c} input channels`, name);
        }
        wShape = [layer.filters, c / g, kh, kw];
        fanIn = (c / g) * kh * kw;
      }
      const init = fanInInit(layer.init, fanIn);
      const out = [p('weight', wShape, init)];
      if (layer.useBias ?? true) out.push(p('bias', [layer.filters], init));
      return out;
    }
    case 'subsample': {
      expectInputs(layer.type, name, inputs, 1);
      const c = channels(layer.type, name, inputs[0]);
      const k = layer.kernelSize ?? 2;
      const init = fanInInit('lecun98', k * k);
      return [p('weight', [c], init), p('bias', [c], init)];
    }
    case 'batchNorm': {
      expectInputs(layer.type, name, inputs, 1);
      const c = channels(layer.type, name, inputs[0]);
      return [
        p('weight', [c], { kind: 'constant', value: 1 }),
        p('bias', [c], { kind: 'constant', value: 0 }),
        p('running_mean', [c], { kind: 'constant', value: 0 }, false, true),
        p('running_var', [c], { kind: 'constant', value: 1 }, false, true),
      ];
    }
    case 'dense': {
      expectInputs(layer.type, name, inputs, 1);
      const x = inputs[0];
      if (x.length !== 2) throw new ShapeError('dense', `input must be (N, features), got rank ${x.length}: flatten first`, name);
      if (!Number.isInteger(layer.units) || layer.units <= 0) {
        throw new InvalidArgumentError('dense', `units must be a positive integer, got ${layer.units}`, name);
      }
      const init = fanInInit(layer.init, x[1]);
      const out = [p('weight', [layer.units, x[1]], init)];
      if (layer.useBias ?? true) out.push(p('bias', [layer.units], init));
      return out;
    }
    case 'rbf': {
      expectInputs(layer.type, name, inputs, 1);
      const x = inputs[0];
      if (x.length !== 2) throw new ShapeError('rbf', `input must be (N, features), got rank ${x.length}`, name);
      const shape = [layer.units, x[1]];
      if (layer.centers && layer.centers.length !== sizeOf(shape)) {
        throw new ShapeError('rbf', `centers have ${layer.centers.length} values, expected ${layer.units}×${x[1]}`, name);
      }
      return [p('weight', shape, layer.centers ? { kind: 'values', values: layer.centers } : { kind: 'uniform', bound: 1 }, !layer.centers)];
    }
    case 'binaryConst':
      expectInputs(layer.type, name, inputs, 1);
      return [p('value', [...layer.shape], { kind: 'constant', value: layer.op === 'mul' ? 1 : 0 })];
    case 'matmul':
      if (!layer.weightShape) {
        expectInputs(layer.type, name, inputs, 2);
        return [];
      }
      expectInputs(layer.type, name, inputs, 1);
      return [p('weight', [...layer.weightShape], fanInInit('pytorch', layer.weightShape[0]))];
    default:
      return [];
  }
}

/** Applies a layer with a backend: inputs in order, parameters in `layerParams` order. */
export function applyLayer(b: Backend, layer: LayerConfig, name: string, inputs: readonly Tensor[], params: readonly Tensor[]): Tensor {
  const x = inputs[0];
  switch (layer.type) {
    case 'conv2d':
      return b.conv2d(x, params[0], params[1], {
        stride: layer.stride,
        padding: layer.padding,
        dilation: layer.dilation,
        groups: layer.groups,
        activation: layer.activation,
        connectionTable: layer.connectionTable,
        name,
      });
    case 'pool2d':
      return b.pool2d(x, {
        type: layer.pool,
        kernelSize: layer.kernelSize,
        stride: layer.stride,
        padding: layer.padding,
        ceilMode: layer.ceilMode,
        countIncludePad: layer.countIncludePad,
        name,
      });
    case 'globalPool':
      return b.globalPool(x, layer.pool);
    case 'adaptiveAvgPool':
      return b.adaptiveAvgPool(x, { outputSize: layer.outputSize, name });
    case 'subsample':
      return b.subsample(x, params[0], params[1], { kernelSize: layer.kernelSize, activation: layer.activation, name });
    case 'lrn':
      return b.lrn(x, { size: layer.size, alpha: layer.alpha, beta: layer.beta, k: layer.k, name });
    case 'batchNorm':
      return b.batchNorm(x, {
        gamma: params[0],
        beta: params[1],
        mean: params[2],
        variance: params[3],
        epsilon: layer.epsilon,
        activation: layer.activation,
        name,
      });
    case 'activation':
      return b.activation(x, layer.activation);
    case 'dropout':
      return b.dropout(x, layer.rate);
    case 'flatten':
      return b.flatten(x, 1);
    case 'dense':
      return b.dense(x, params[0], params[1], layer.activation);
    case 'rbf':
      return b.rbf(x, params[0]);
    case 'softmax':
      return b.softmax(x, layer.axis ?? -1);
    case 'add': {
      if (inputs.length < 2) throw new ShapeError('add', `takes two or more inputs, got ${inputs.length}`, name);
      let acc = b.add(inputs[0], inputs[1]);
      for (let i = 2; i < inputs.length; i++) {
        const next = b.add(acc, inputs[i]);
        acc.dispose();
        acc = next;
      }
      if (layer.activation && layer.activation !== 'none') {
        const act = b.activation(acc, layer.activation);
        acc.dispose();
        acc = act;
      }
      return acc;
    }
    case 'concat':
      return b.concat(inputs, layer.axis ?? 1);
    case 'mul':
      if (inputs.length !== 2) throw new ShapeError('mul', `takes two inputs, got ${inputs.length}`, name);
      return b.mul(inputs[0], inputs[1]);
    case 'binaryConst':
      return layer.op === 'add' ? b.add(x, params[0]) : b.mul(x, params[0]);
    case 'matmul':
      return b.matmul(x, layer.weightShape ? params[0] : inputs[1], { name });
    case 'reshape':
      return b.reshape(x, [x.shape[0], ...layer.shape]);
  }
}

/** Multiply-accumulates ×2 (or comparisons/adds for the cheap layers) of one application. */
export function layerFlops(layer: LayerConfig, inputs: readonly Shape[], output: Shape, params: readonly ParamSpec[]): number {
  const outSize = sizeOf(output);
  switch (layer.type) {
    case 'conv2d': {
      const w = params[0].shape;
      const perOutput = layer.connectionTable ? (sizeOf(w) / layer.filters) : sizeOf(w.slice(1));
      return 2 * outSize * perOutput;
    }
    case 'dense':
    case 'rbf':
      return 2 * outSize * inputs[0][1];
    case 'matmul': {
      const a = inputs[0];
      return 2 * outSize * a[a.length - 1];
    }
    case 'mul':
    case 'binaryConst':
      return outSize;
    case 'pool2d': {
      const [kh, kw] = pair(layer.kernelSize);
      return outSize * kh * kw;
    }
    case 'subsample': {
      const k = layer.kernelSize ?? 2;
      return outSize * (k * k + 2);
    }
    case 'lrn':
      return outSize * (2 * (layer.size ?? 5) + 4);
    case 'globalPool':
    case 'adaptiveAvgPool':
      return sizeOf(inputs[0]);
    case 'batchNorm':
    case 'activation':
    case 'softmax':
      return 2 * outSize;
    case 'add':
      return outSize * (inputs.length - 1);
    default:
      return 0;
  }
}
