/**
 * Subgraphs that exporters write out op by op, recognised before conversion and replaced by the
 * one node they compute. Each rewrite applies only when every intermediate value is read by the
 * pattern alone (not by another node, not a graph output) and its constants have the values the
 * pattern needs; otherwise the nodes are left as they are.
 *
 * Layer normalization below opset 17 (PyTorch's export of nn.LayerNorm and F.layer_norm):
 *
 *   m = ReduceMean(x, axes=[-k..-1], keepdims=1);  d = Sub(x, m);  p = Pow(d, 2)
 *   v = ReduceMean(p, same axes);  s = Sqrt(Add(v, ε));  n = Div(d, s)
 *   [y = Mul(n, weight)]  [z = Add(y, bias)]
 *
 * becomes LayerNormalization(x, weight, bias; axis = -k, epsilon = ε).
 *
 * Group normalization (PyTorch's export of nn.GroupNorm at every opset):
 *
 *   r = Reshape(x, [0, G, -1]);  n = InstanceNormalization(r, ones(G), zeros(G), ε)
 *   y = Reshape(n, Shape(x));  [y = Mul(y, weight (C, 1, …))]  [z = Add(y, bias (C, 1, …))]
 *
 * becomes GroupNormalization(x, weight, bias; num_groups = G, epsilon = ε), with the per-channel
 * scale and bias of that shape (src/onnx/convert/reduce.ts takes them).
 *
 * GELU (PyTorch's export of nn.GELU / F.gelu below opset 20):
 *
 *   d = Div(x, √2);  e = Erf(d);  a = Add(e, 1);  m = Mul(x, a);  y = Mul(m, 0.5)
 *
 * becomes Gelu(x), and SiLU (nn.SiLU, F.silu, EfficientNet's swish): y = Mul(x, Sigmoid(x))
 * becomes Swish(x) (alpha 1). Each is then one activation, which fuses into the conv before it.
 */
import type { AttributeProto, NodeProto, TensorProto } from './proto.js';
import { tensorFromProto } from './tensor.js';

const attrInts = (n: NodeProto, name: string): readonly number[] | undefined => n.attributes.find((a) => a.name === name)?.ints;
const attrInt = (n: NodeProto, name: string, dflt: number): number => n.attributes.find((a) => a.name === name)?.i ?? dflt;

function attribute(name: string, value: { i?: number; f?: number }): AttributeProto {
  return { name, type: value.f !== undefined ? 1 : 2, f: value.f ?? 0, i: value.i ?? 0, s: new Uint8Array(), t: null, floats: [], ints: [], strings: [] };
}

/** Rewrites the decomposed layer and group norms, GELUs and SiLUs of `nodes` (see the module comment); other nodes are kept in order. */
export function fuseDecomposedNorms(nodes: readonly NodeProto[], initializers: readonly TensorProto[], graphOutputs: readonly string[], label: string): NodeProto[] {
  const producer = new Map<string, NodeProto>();
  const readers = new Map<string, NodeProto[]>();
  for (const n of nodes) {
    for (const o of n.outputs) if (o) producer.set(o, n);
    for (const i of n.inputs) if (i) readers.set(i, [...(readers.get(i) ?? []), n]);
  }
  const inits = new Map(initializers.map((t) => [t.name, t]));
  const outputs = new Set(graphOutputs);
  /** The values of a constant (an initializer or a Constant node's value), or null. */
  const constant = (name: string): ArrayLike<number> | null => {
    const p = producer.get(name);
    const proto = inits.get(name) ?? (p?.opType === 'Constant' ? p.attributes.find((a) => a.name === 'value')?.t : undefined);
    if (!proto) return null;
    try {
      return tensorFromProto(proto, `${label}: '${name}'`).data;
    } catch {
      return null;
    }
  };
  const scalar = (name: string): number | null => {
    const v = constant(name);
    return v && v.length === 1 ? Number(v[0]) : null;
  };
  /** The one node reading `value`, of type `op`, when nothing else reads it and it is not a graph output. */
  const soleReader = (value: string, op: string): NodeProto | null => {
    const r = readers.get(value) ?? [];
    return r.length === 1 && r[0].opType === op && r[0].domain === '' && !outputs.has(value) ? r[0] : null;
  };
  /** The other input of a binary node, given one of them. */
  const other = (n: NodeProto, value: string): string | null => (n.inputs.length === 2 && n.inputs.includes(value) ? n.inputs[n.inputs[0] === value ? 1 : 0] : null);

  const replaced = new Map<NodeProto, NodeProto | null>();
  /** Replaces `pattern` by `fused` (at its last node), unless a node of it is already taken. */
  const replace = (pattern: readonly NodeProto[], fused: NodeProto): void => {
    if (pattern.some((n) => replaced.has(n))) return;
    pattern.forEach((n, k) => replaced.set(n, k === pattern.length - 1 ? fused : null));
  };
  /** The optional affine tail after `value`: Mul by a constant, then Add of a constant. */
  const affine = (value: string): { nodes: NodeProto[]; weight: string; bias: string; out: string } => {
    const tail: NodeProto[] = [];
    let out = value;
    let weight = '';
    let bias = '';
    const mul = soleReader(out, 'Mul');
    const w = mul && other(mul, out);
    if (mul && w && constant(w)) {
      tail.push(mul);
      weight = w;
      out = mul.outputs[0];
      const add = soleReader(out, 'Add');
      const b = add && other(add, out);
      if (add && b && constant(b)) {
        tail.push(add);
        bias = b;
        out = add.outputs[0];
      }
    }
    return { nodes: tail, weight, bias, out };
  };
  const allEqual = (name: string, v: number): number | null => {
    const c = constant(name);
    return c && Array.from(c, Number).every((e) => e === v) ? c.length : null;
  };

  for (const reshape of nodes) {
    if (reshape.opType !== 'Reshape' || reshape.domain !== '' || attrInt(reshape, 'allowzero', 0) !== 0) continue;
    const target = constant(reshape.inputs[1] ?? '');
    if (!target || target.length !== 3 || Number(target[0]) !== 0 || Number(target[2]) !== -1) continue;
    const groups = Number(target[1]);
    const x = reshape.inputs[0];
    const inorm = soleReader(reshape.outputs[0], 'InstanceNormalization');
    if (!inorm || allEqual(inorm.inputs[1] ?? '', 1) !== groups || allEqual(inorm.inputs[2] ?? '', 0) !== groups) continue;
    const back = soleReader(inorm.outputs[0], 'Reshape');
    const shape = back && producer.get(back.inputs[1] ?? '');
    if (!back || back.inputs[0] !== inorm.outputs[0] || !shape || shape.opType !== 'Shape' || shape.inputs[0] !== x || shape.attributes.length > 0) continue;
    const tail = affine(back.outputs[0]);
    const epsilon = inorm.attributes.find((a) => a.name === 'epsilon')?.f ?? 1e-5;
    replace([reshape, inorm, back, ...tail.nodes], {
      name: `${tail.out} (GroupNorm pattern)`,
      opType: 'GroupNormalization',
      domain: '',
      inputs: [x, tail.weight, tail.bias],
      outputs: [tail.out],
      attributes: [attribute('num_groups', { i: groups }), attribute('epsilon', { f: epsilon })],
    });
  }

  for (const mean of nodes) {
    if (mean.opType !== 'ReduceMean' || mean.domain !== '' || mean.inputs.length !== 1 || attrInt(mean, 'keepdims', 1) !== 1) continue;
    const axes = attrInts(mean, 'axes');
    // Trailing axes written from the end ([-1], [-2, -1]), so the normalized block is known without the rank.
    if (!axes || axes.length === 0 || ![...axes].sort((a, b) => a - b).every((a, i, s) => a === -s.length + i)) continue;
    const x = mean.inputs[0];
    const m = mean.outputs[0];
    const sub = (readers.get(m) ?? []).length === 1 && !outputs.has(m) ? readers.get(m)![0] : null;
    if (!sub || sub.opType !== 'Sub' || sub.inputs[0] !== x || sub.inputs[1] !== m) continue;
    const d = sub.outputs[0];
    const dReaders = readers.get(d) ?? [];
    const pow = dReaders.find((n) => n.opType === 'Pow');
    const div = dReaders.find((n) => n.opType === 'Div');
    if (dReaders.length !== 2 || outputs.has(d) || !pow || !div || pow.inputs[0] !== d || div.inputs[0] !== d || scalar(pow.inputs[1]) !== 2) continue;
    const mean2 = soleReader(pow.outputs[0], 'ReduceMean');
    if (!mean2 || attrInt(mean2, 'keepdims', 1) !== 1 || JSON.stringify(attrInts(mean2, 'axes')) !== JSON.stringify(axes)) continue;
    const addEps = soleReader(mean2.outputs[0], 'Add');
    const epsName = addEps && other(addEps, mean2.outputs[0]);
    const epsilon = epsName ? scalar(epsName) : null;
    if (!addEps || epsilon === null) continue;
    const sqrt = soleReader(addEps.outputs[0], 'Sqrt');
    if (!sqrt || soleReader(sqrt.outputs[0], 'Div') !== div || div.inputs[1] !== sqrt.outputs[0]) continue;
    const tail = affine(div.outputs[0]);
    const pattern = [mean, sub, pow, mean2, addEps, sqrt, div, ...tail.nodes];
    replace(pattern, {
      name: `${tail.out} (LayerNorm pattern)`,
      opType: 'LayerNormalization',
      domain: '',
      inputs: [x, tail.weight, tail.bias],
      outputs: [tail.out],
      attributes: [attribute('axis', { i: -axes.length }), attribute('epsilon', { f: epsilon })],
    });
  }
  /** Whether `name` is a constant scalar within float32 rounding of `v`. */
  const near = (name: string, v: number): boolean => {
    const c = scalar(name);
    return c !== null && Math.abs(c - v) <= 1e-6 * Math.abs(v);
  };

  for (const erf of nodes) {
    if (erf.opType !== 'Erf' || erf.domain !== '') continue;
    const div = producer.get(erf.inputs[0]);
    if (!div || div.opType !== 'Div' || div.domain !== '' || !near(div.inputs[1] ?? '', Math.SQRT2) || soleReader(div.outputs[0], 'Erf') !== erf) continue;
    const x = div.inputs[0];
    const add = soleReader(erf.outputs[0], 'Add');
    if (!add || !near(other(add, erf.outputs[0]) ?? '', 1)) continue;
    const mulX = soleReader(add.outputs[0], 'Mul');
    if (!mulX || other(mulX, add.outputs[0]) !== x) continue;
    const half = soleReader(mulX.outputs[0], 'Mul');
    if (!half || !near(other(half, mulX.outputs[0]) ?? '', 0.5)) continue;
    replace([div, erf, add, mulX, half], { name: `${half.outputs[0]} (GELU pattern)`, opType: 'Gelu', domain: '', inputs: [x], outputs: [half.outputs[0]], attributes: [] });
  }

  for (const sigmoid of nodes) {
    if (sigmoid.opType !== 'Sigmoid' || sigmoid.domain !== '') continue;
    const x = sigmoid.inputs[0];
    const mul = soleReader(sigmoid.outputs[0], 'Mul');
    if (!mul || other(mul, sigmoid.outputs[0]) !== x) continue;
    replace([sigmoid, mul], { name: `${mul.outputs[0]} (SiLU pattern)`, opType: 'Swish', domain: '', inputs: [x], outputs: [mul.outputs[0]], attributes: [] });
  }

  if (replaced.size === 0) return [...nodes];
  return nodes.flatMap((n) => {
    const r = replaced.get(n);
    return r === undefined ? [n] : r === null ? [] : [r];
  });
}
