/**
 * conv2d: the primitive's parameters, their normalized form and shape inference (pure
 * functions shared by the CPU reference and the WebGPU kernels, run before any GPU work), and
 * the conv2d layer op.
 */
import { type ActivationConfig, normalizeActivation } from './activation.js';
import type { Activation, Conv2dParams, Padding2d } from './params.js';

export type { Padding2d, Conv2dParams } from './params.js';
import { type Pads, positivePair, resolvePadding, windowOutputSize } from './window.js';
import { channelsOf, defineOp, fanInInit, param } from './op.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { type Shape, fmtShape, assertRank, sizeOf } from '../shape.js';



/** A connection table in CSR form: output map o reads input maps indices[offsets[o] .. offsets[o+1]). */
export interface ConnectionTable {
  /** (Cout + 1) */
  readonly offsets: Uint32Array;
  /** (Σ|table[o]|) — also the weight kernel index of each (o, input) pair. */
  readonly indices: Uint32Array;
}

/** Everything a conv2d kernel needs, validated and resolved. */
export interface Conv2dConfig {
  readonly batch: number;
  readonly inChannels: number;
  readonly inH: number;
  readonly inW: number;
  readonly outChannels: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly stride: [number, number];
  readonly dilation: [number, number];
  readonly pads: Pads;
  readonly groups: number;
  /** C / groups: input channels each output channel reads (dense mode). */
  readonly inPerGroup: number;
  /** Cout / groups. */
  readonly outPerGroup: number;
  readonly outH: number;
  readonly outW: number;
  /** (N, Cout, Ho, Wo) */
  readonly outShape: [number, number, number, number];
  readonly activation: ActivationConfig;
  readonly hasBias: boolean;
  /** Present in connection-table mode. */
  readonly table?: ConnectionTable;
}

const OP = 'conv2d';

/**
 * Validates conv2d's operands and parameters and resolves the geometry. `wShape` is
 * (Cout, C/groups, kH, kW), or (Σ|table[o]|, kH, kW) in connection-table mode.
 */
export function inferConv2d(xShape: Shape, wShape: Shape, biasShape: Shape | undefined, params: Conv2dParams = {}): Conv2dConfig {
  const layer = params.name;
  const shapes = () => `input ${fmtShape(xShape)}, weights ${fmtShape(wShape)}`;
  assertRank(OP, 'input', xShape, 4, layer);
  const [batch, inChannels, inH, inW] = xShape;
  const tableMode = params.connectionTable !== undefined;

  const groups = params.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) {
    throw new InvalidArgumentError(OP, `groups must be a positive integer, got ${JSON.stringify(params.groups)}`, layer);
  }

  let outChannels: number;
  let kernelH: number;
  let kernelW: number;
  let table: ConnectionTable | undefined;
  if (tableMode) {
    if (groups !== 1) throw new InvalidArgumentError(OP, `a connection table cannot be combined with groups = ${groups}`, layer);
    if (wShape.length !== 3) {
      throw new ShapeError(OP, `weights must have rank 3 (Σ|table[o]|, kH, kW) in connection-table mode, got ${fmtShape(wShape)}`, layer);
    }
    table = normalizeTable(params.connectionTable ?? [], inChannels, shapes, layer);
    outChannels = table.offsets.length - 1;
    const pairs = table.indices.length;
    [, kernelH, kernelW] = wShape;
    if (wShape[0] !== pairs) {
      throw new ShapeError(
        OP,
        `the connection table has ${pairs} (output, input) pairs, so weights need ${pairs}·${kernelH}·${kernelW} = ${pairs * kernelH * kernelW} values, ` +
          `got ${wShape[0] * kernelH * kernelW} (${shapes()})`,
        layer,
      );
    }
  } else {
    if (wShape.length !== 4) throw new ShapeError(OP, `weights must have rank 4 (Cout, C/groups, kH, kW), got ${fmtShape(wShape)}`, layer);
    let wIn: number;
    [outChannels, wIn, kernelH, kernelW] = wShape;
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new ShapeError(OP, `groups ${groups} must divide both input channels ${inChannels} and output channels ${outChannels} (${shapes()})`, layer);
    }
    if (wIn * groups !== inChannels) {
      const expect = groups === 1 ? `${wIn}` : `${wIn}·${groups} groups = ${wIn * groups}`;
      throw new ShapeError(OP, `input has ${inChannels} channels, weights expect ${expect} (${shapes()})`, layer);
    }
  }
  if (kernelH < 1 || kernelW < 1) throw new ShapeError(OP, `kernel must be at least 1×1, got ${kernelH}×${kernelW} (${shapes()})`, layer);

  const stride = positivePair(OP, 'stride', params.stride, 1, layer);
  const dilation = positivePair(OP, 'dilation', params.dilation, 1, layer);
  const pads = resolvePadding(OP, params.padding, [inH, inW], [kernelH, kernelW], stride, dilation, layer);
  const outH = windowOutputSize(OP, inH, kernelH, stride[0], dilation[0], pads.top, pads.bottom, false, shapes, layer);
  const outW = windowOutputSize(OP, inW, kernelW, stride[1], dilation[1], pads.left, pads.right, false, shapes, layer);

  if (biasShape !== undefined && (biasShape.length !== 1 || biasShape[0] !== outChannels)) {
    throw new ShapeError(OP, `bias must have shape [${outChannels}] (one per output channel), got ${fmtShape(biasShape)} (${shapes()})`, layer);
  }

  return {
    batch,
    inChannels,
    inH,
    inW,
    outChannels,
    kernelH,
    kernelW,
    stride,
    dilation,
    pads,
    groups,
    inPerGroup: inChannels / groups,
    outPerGroup: outChannels / groups,
    outH,
    outW,
    outShape: [batch, outChannels, outH, outW],
    activation: normalizeActivation(OP, params.activation),
    hasBias: biasShape !== undefined,
    ...(table ? { table } : {}),
  };
}

function normalizeTable(rows: readonly (readonly number[])[], inChannels: number, shapes: () => string, layer?: string): ConnectionTable {
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new InvalidArgumentError(OP, 'connectionTable must be a non-empty array with one row of input maps per output map', layer);
  }
  const offsets = new Uint32Array(rows.length + 1);
  const indices: number[] = [];
  rows.forEach((row, o) => {
    if (!Array.isArray(row) || row.length === 0) {
      throw new InvalidArgumentError(OP, `connectionTable[${o}] must be a non-empty array of input map indices, got ${JSON.stringify(row)}`, layer);
    }
    const seen = new Set<number>();
    for (const i of row) {
      if (!Number.isInteger(i) || i < 0 || i >= inChannels) {
        throw new ShapeError(OP, `connectionTable[${o}] names input map ${i}, but the input has ${inChannels} maps (0..${inChannels - 1}) (${shapes()})`, layer);
      }
      if (seen.has(i)) throw new InvalidArgumentError(OP, `connectionTable[${o}] lists input map ${i} twice`, layer);
      seen.add(i);
      indices.push(i);
    }
    offsets[o + 1] = indices.length;
  });
  return { offsets, indices: Uint32Array.from(indices) };
}

// ---------------------------------------------------------------------------------------------
// The conv2d layer

/** A 2-D convolution layer: weights (Cout, C/groups, kH, kW), PyTorch's layout. */
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

const pair = (v: number | readonly [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

function convParams(layer: Conv2dLayer, name: string): Conv2dParams {
  return {
    stride: layer.stride, padding: layer.padding, dilation: layer.dilation, groups: layer.groups,
    activation: layer.activation, connectionTable: layer.connectionTable, name,
  };
}

export const conv2dOp = defineOp<Conv2dLayer>({
  type: 'conv2d',
  inputs: 1,
  params(layer, [x], name) {
    const c = channelsOf('conv2d', name, x);
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
      if (!Number.isInteger(g) || g <= 0 || c % g !== 0) throw new ShapeError('conv2d', `groups ${g} must divide the ${c} input channels`, name);
      wShape = [layer.filters, c / g, kh, kw];
      fanIn = (c / g) * kh * kw;
    }
    const init = fanInInit(layer.init, fanIn);
    const out = [param('weight', wShape, init)];
    if (layer.useBias ?? true) out.push(param('bias', [layer.filters], init));
    return out;
  },
  paramInputs: ['weight', 'bias'],
  forward: (b, { layer, name, inputs: [x], params: [w, bias] }) => b.conv2d(x, w, bias, convParams(layer, name)),
  backward(b, { layer, name, inputs: [x], params: [w, bias], dy, needInput }) {
    const g = b.conv2dBackward(x, w, dy, { ...convParams(layer, name), activation: undefined }, { input: needInput[0], weight: true, bias: bias !== undefined });
    return { inputs: [g.dx], params: [g.dw, g.db] };
  },
  flops: (layer, _inputs, output, params) => {
    const w = params[0].shape;
    const perOutput = layer.connectionTable ? sizeOf(w) / layer.filters : sizeOf(w.slice(1));
    return 2 * sizeOf(output) * perOutput;
  },
  fusesActivation: true,
  // By output channels, when each output channel reads all input channels.
  splitsParams: (layer) => ((layer.groups ?? 1) === 1 && !layer.connectionTable ? ['weight'] : []),
});
