/**
 * Inference lowering: the graph as it runs, from the ops' fusion traits. Ops that are the
 * identity at inference (dropout) disappear; a batch norm right after a convolution is folded
 * into the convolution's weights and bias, and a zero pad of H and W before one into its
 * padding; an activation layer right after an op that applies an activation at its store
 * (`fusesActivation`: conv2d, dense, batch norm, subsampling, add) is fused into it. A node is only fused into its producer when it is that producer's sole
 * consumer and the producer is not itself a graph output.
 */
import type { Graph, GraphNode, NodeInfo } from './graph.js';
import { type LayerConfig, opOf } from '../ops/registry.js';
import { isActivation, type Activation } from '../ops/activation.js';
import type { PadLayer } from '../ops/pad.js';
import type { Padding2d } from '../ops/params.js';
import { paramInputsOf } from '../ops/op.js';

/** A node of the lowered graph; `params` are keys into the weight map. */
export interface ExecNode {
  readonly name: string;
  readonly layer: LayerConfig;
  readonly inputs: readonly string[];
  readonly params: readonly string[];
}

export interface Lowered {
  readonly nodes: readonly ExecNode[];
  /** Weights computed by folding (keyed like the others, e.g. `conv1.weight@folded`), with their shapes. */
  readonly derived: ReadonlyMap<string, Float32Array>;
  readonly derivedShapes: ReadonlyMap<string, readonly number[]>;
  /** Graph value names after aliasing (dropout outputs map to their inputs). */
  readonly outputs: readonly string[];
  /** What was fused, for `summary()` and debugging: `bn1 → conv1`. */
  readonly fusions: readonly string[];
}

function hasActivation(layer: LayerConfig): boolean {
  return isActivation((layer as { activation?: Activation }).activation);
}

/** [top, left, bottom, right] of a pad layer that only adds zeros around the last two axes, or null. */
type Pads4 = [number, number, number, number];

function zeroPadOfHw(layer: PadLayer): Pads4 | null {
  const { pads } = layer;
  const k = pads.length / 2;
  if ((layer.mode ?? 'constant') !== 'constant' || (layer.value ?? 0) !== 0 || !Number.isInteger(k) || k < 1 || pads.some((p) => p < 0)) return null;
  const begin = pads.slice(0, k);
  const end = pads.slice(k);
  if (begin.slice(0, -2).some((p) => p !== 0) || end.slice(0, -2).some((p) => p !== 0)) return null;
  const [t, l] = k === 1 ? [0, begin[0]] : begin.slice(-2);
  const [b, r] = k === 1 ? [0, end[0]] : end.slice(-2);
  return [t, l, b, r];
}

/** A conv2d's padding as [top, left, bottom, right], or null for 'same' (which depends on the input). */
function explicitPadding(p: Padding2d | undefined): Pads4 | null {
  if (p === undefined || p === 'valid') return [0, 0, 0, 0];
  if (typeof p === 'number') return [p, p, p, p];
  if (Array.isArray(p) && p.length === 2) return [p[0], p[1], p[0], p[1]];
  if (Array.isArray(p) && p.length === 4) return [p[0], p[1], p[2], p[3]];
  return null;
}

export function lowerForInference(
  graph: Graph,
  order: readonly GraphNode[],
  info: readonly NodeInfo[],
  weights: ReadonlyMap<string, Float32Array>,
  options: { fuse?: boolean } = {},
): Lowered {
  const fuse = options.fuse ?? true;
  const infoOf = new Map(info.map((n) => [n.name, n]));
  const alias = new Map<string, string>();
  const resolve = (n: string): string => alias.get(n) ?? n;
  const consumers = new Map<string, string[]>();
  for (const node of order) for (const i of node.inputs) consumers.set(i, [...(consumers.get(i) ?? []), node.name]);
  const isOutput = new Set(graph.outputs);

  const nodes: ExecNode[] = [];
  const byName = new Map<string, ExecNode>();
  const derived = new Map<string, Float32Array>();
  const derivedShapes = new Map<string, readonly number[]>();
  const fusions: string[] = [];
  const replace = (name: string, next: ExecNode) => {
    const i = nodes.findIndex((n) => n.name === name);
    nodes[i] = next;
    byName.set(next.name, next);
  };

  for (const node of order) {
    const inputs = node.inputs.map(resolve);
    const paramKeys = infoOf.get(node.name)!.params.map((p) => `${node.name}.${p.name}`);
    if (opOf(node.layer, node.name).identityAtInference) {
      alias.set(node.name, inputs[0]);
      continue;
    }
    const producer = inputs.length === 1 ? byName.get(inputs[0]) : undefined;
    const sole = producer !== undefined && (consumers.get(producer.name) ?? []).length === 1 && !isOutput.has(producer.name);
    if (fuse && sole && producer) {
      // Batch norm after a convolution without activation: fold into the conv.
      const held = paramInputsOf(node.layer).length === 0 && paramInputsOf(producer.layer).length === 0;
      if (held && node.layer.type === 'batchNorm' && producer.layer.type === 'conv2d' && !hasActivation(producer.layer) && !producer.layer.connectionTable) {
        const conv = producer.layer;
        const w = derived.get(producer.params[0]) ?? weights.get(producer.params[0])!;
        const cout = conv.filters;
        const perOut = w.length / cout;
        const bias = producer.params[1] ? (derived.get(producer.params[1]) ?? weights.get(producer.params[1])!) : new Float32Array(cout);
        const [gamma, beta, mean, variance] = paramKeys.map((k) => weights.get(k)!);
        const eps = node.layer.epsilon ?? 1e-5;
        const fw = new Float32Array(w.length);
        const fb = new Float32Array(cout);
        for (let o = 0; o < cout; o++) {
          const scale = gamma[o] / Math.sqrt(variance[o] + eps);
          for (let i = 0; i < perOut; i++) fw[o * perOut + i] = w[o * perOut + i] * scale;
          fb[o] = (bias[o] - mean[o]) * scale + beta[o];
        }
        const wKey = `${producer.name}.weight@folded`;
        const bKey = `${producer.name}.bias@folded`;
        derived.set(wKey, fw);
        derived.set(bKey, fb);
        derivedShapes.set(wKey, infoOf.get(producer.name)?.params[0].shape ?? derivedShapes.get(producer.params[0])!);
        derivedShapes.set(bKey, [cout]);
        const folded: ExecNode = {
          name: node.name,
          layer: { ...conv, useBias: true, activation: node.layer.activation },
          inputs: producer.inputs,
          params: [wKey, bKey],
        };
        nodes.splice(nodes.indexOf(producer), 1);
        byName.delete(producer.name);
        nodes.push(folded);
        byName.set(folded.name, folded);
        fusions.push(`${node.name} → ${producer.name}`);
        continue;
      }
      // A zero pad of H and W before a convolution: into the convolution's padding.
      if (node.layer.type === 'conv2d' && producer.layer.type === 'pad') {
        const extra = zeroPadOfHw(producer.layer);
        const own = explicitPadding(node.layer.padding);
        if (extra && own) {
          const folded: ExecNode = { name: node.name, layer: { ...node.layer, padding: [own[0] + extra[0], own[1] + extra[1], own[2] + extra[2], own[3] + extra[3]] }, inputs: producer.inputs, params: paramKeys };
          nodes.splice(nodes.indexOf(producer), 1);
          byName.delete(producer.name);
          nodes.push(folded);
          byName.set(folded.name, folded);
          fusions.push(`${producer.name} → ${node.name}`);
          continue;
        }
      }
      // Activation after a layer that can apply it at its store.
      if (node.layer.type === 'activation' && opOf(producer.layer).fusesActivation && !hasActivation(producer.layer)) {
        const fused: ExecNode = {
          ...producer,
          name: node.name,
          layer: { ...producer.layer, activation: node.layer.activation } as LayerConfig,
        };
        replace(producer.name, fused);
        byName.delete(producer.name);
        fusions.push(`${node.name} → ${producer.name}`);
        continue;
      }
    }
    const exec: ExecNode = { name: node.name, layer: node.layer, inputs, params: paramKeys };
    nodes.push(exec);
    byName.set(exec.name, exec);
  }
  return { nodes, derived, derivedShapes, outputs: graph.outputs.map(resolve), fusions };
}
