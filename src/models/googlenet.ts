/**
 * GoogLeNet (Inception v1): Szegedy et al., "Going deeper with convolutions", CVPR 2015 — in
 * torchvision's layout (`torchvision.models.googlenet`, aux_logits=False), which adds batch
 * norm to every convolution and, like its published weights, uses a 3×3 convolution where
 * the paper's third branch has a 5×5.
 *
 *   BasicConv2d = conv (no bias) → batch norm (eps 0.001) → relu
 *   conv1 7×7/2 (64) → maxpool1 3/2 → conv2 1×1 (64) → conv3 3×3 (192) → maxpool2 3/2
 *   inception3a, 3b → maxpool3 3/2 → inception4a … 4e → maxpool4 2/2 → inception5a, 5b
 *   global average pool → dropout 0.2 → fc
 *
 * Every max pool rounds up (ceil mode). An Inception block concatenates four branches along
 * channels: 1×1; 1×1 → 3×3; 1×1 → 3×3; and 3×3/1 max pool (pad 1) → 1×1.
 *
 * Node names are torchvision's module paths (`inception4a.branch2.1.conv`); each block's
 * concatenation is `<block>.concat`. 6,624,904 parameters (PyTorch's `parameters()`, without
 * batch norm's running statistics).
 */
import { type SymbolicTensor, input, apply } from '../graph/functional.js';
import { layers } from '../graph/factories.js';

/** Output channels of one Inception block's branches, in torchvision's argument order. */
interface InceptionSpec {
  ch1x1: number;
  ch3x3red: number;
  ch3x3: number;
  ch5x5red: number;
  ch5x5: number;
  poolProj: number;
}

const spec = (ch1x1: number, ch3x3red: number, ch3x3: number, ch5x5red: number, ch5x5: number, poolProj: number): InceptionSpec => ({
  ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, poolProj,
});

// Table 1 of the paper.
const INCEPTION = {
  inception3a: spec(64, 96, 128, 16, 32, 32),
  inception3b: spec(128, 128, 192, 32, 96, 64),
  inception4a: spec(192, 96, 208, 16, 48, 64),
  inception4b: spec(160, 112, 224, 24, 64, 64),
  inception4c: spec(128, 128, 256, 24, 64, 64),
  inception4d: spec(112, 144, 288, 32, 64, 64),
  inception4e: spec(256, 160, 320, 32, 128, 128),
  inception5a: spec(256, 160, 320, 32, 128, 128),
  inception5b: spec(384, 192, 384, 48, 128, 128),
} as const;

export interface GoogLeNetConfig {
  inputSize: number;
  numClasses: number;
}

/** torchvision's BasicConv2d: `<name>.conv` → `<name>.bn` → `<name>.relu`. */
function basicConv(x: SymbolicTensor, name: string, filters: number, kernelSize: number, stride = 1, padding = 0): SymbolicTensor {
  const c = apply(layers.conv2d({ filters, kernelSize, stride, padding, useBias: false }), x, `${name}.conv`);
  const b = apply(layers.batchNorm({ epsilon: 0.001 }), c, `${name}.bn`);
  return apply(layers.relu(), b, `${name}.relu`);
}

function maxPool(x: SymbolicTensor, name: string, kernelSize: number, stride: number, padding = 0): SymbolicTensor {
  return apply(layers.maxPool2d({ kernelSize, stride, padding, ceilMode: true }), x, name);
}

function inception(x: SymbolicTensor, name: string, s: InceptionSpec): SymbolicTensor {
  const b1 = basicConv(x, `${name}.branch1`, s.ch1x1, 1);
  const b2 = basicConv(basicConv(x, `${name}.branch2.0`, s.ch3x3red, 1), `${name}.branch2.1`, s.ch3x3, 3, 1, 1);
  const b3 = basicConv(basicConv(x, `${name}.branch3.0`, s.ch5x5red, 1), `${name}.branch3.1`, s.ch5x5, 3, 1, 1);
  const b4 = basicConv(maxPool(x, `${name}.branch4.0`, 3, 1, 1), `${name}.branch4.1`, s.poolProj, 1);
  return apply(layers.concat(), [b1, b2, b3, b4], `${name}.concat`);
}

export function buildGoogLeNet(cfg: GoogLeNetConfig): { input: SymbolicTensor; output: SymbolicTensor } {
  const x = input([3, cfg.inputSize, cfg.inputSize], 'input');
  let h = basicConv(x, 'conv1', 64, 7, 2, 3);
  h = maxPool(h, 'maxpool1', 3, 2);
  h = basicConv(h, 'conv2', 64, 1);
  h = basicConv(h, 'conv3', 192, 3, 1, 1);
  h = maxPool(h, 'maxpool2', 3, 2);
  h = inception(h, 'inception3a', INCEPTION.inception3a);
  h = inception(h, 'inception3b', INCEPTION.inception3b);
  h = maxPool(h, 'maxpool3', 3, 2);
  for (const b of ['inception4a', 'inception4b', 'inception4c', 'inception4d', 'inception4e'] as const) h = inception(h, b, INCEPTION[b]);
  h = maxPool(h, 'maxpool4', 2, 2);
  h = inception(h, 'inception5a', INCEPTION.inception5a);
  h = inception(h, 'inception5b', INCEPTION.inception5b);
  h = apply(layers.globalAvgPool(), h, 'avgpool');
  h = apply(layers.flatten(), h, 'flatten');
  h = apply(layers.dropout(0.2), h, 'dropout');
  const out = apply(layers.dense({ units: cfg.numClasses }), h, 'fc');
  return { input: x, output: out };
}
