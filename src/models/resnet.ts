/**
 * ResNet-18, -34 and -50: He, Zhang, Ren, Sun, "Deep residual learning for image recognition",
 * CVPR 2016 — in torchvision's layout (`torchvision.models.resnet18/34/50`):
 *
 *   conv1 7×7/2 (64) → bn1 → relu → maxpool 3×3/2 pad 1
 *   layer1..layer4: residual blocks at 64, 128, 256, 512 channels; the first block of
 *     layer2..4 halves the resolution with stride 2
 *   global average pool → fc
 *
 * BasicBlock (18, 34): conv3×3 → bn → relu → conv3×3 → bn, + shortcut, relu.
 * Bottleneck (50): conv1×1 → bn → relu → conv3×3 → bn → relu → conv1×1 (×4 channels) → bn,
 * + shortcut, relu; the stride sits on the 3×3 convolution ("ResNet v1.5", as torchvision).
 * The shortcut is the identity, or `downsample` = conv1×1 with the block's stride → bn when
 * the shape changes (option B of the paper). Convolutions have no bias; batch norm eps 1e-5.
 *
 * Node names are torchvision's module paths (`layer2.0.downsample.0`); the relus and adds,
 * which torchvision does not name per use, are `….relu1`, `….relu2` and `….add`.
 * Parameters (PyTorch's `parameters()`, without batch norm's running statistics):
 * 11,689,512 / 21,797,672 / 25,557,032.
 */
import { type SymbolicTensor, input, apply } from '../graph/functional.js';
import { layers } from '../graph/factories.js';

export type ResNetDepth = 18 | 34 | 50;

const BLOCKS: Record<ResNetDepth, { bottleneck: boolean; counts: readonly [number, number, number, number] }> = {
  18: { bottleneck: false, counts: [2, 2, 2, 2] },
  34: { bottleneck: false, counts: [3, 4, 6, 3] },
  50: { bottleneck: true, counts: [3, 4, 6, 3] },
};

export interface ResNetConfig {
  depth: ResNetDepth;
  inputSize: number;
  numClasses: number;
}

/** conv (no bias) → batch norm, named `<conv>` and `<bn>`. */
function convBn(x: SymbolicTensor, conv: string, bn: string, filters: number, kernelSize: number, stride: number): SymbolicTensor {
  const padding = (kernelSize - 1) / 2;
  const c = apply(layers.conv2d({ filters, kernelSize, stride, padding, useBias: false }), x, conv);
  return apply(layers.batchNorm({ epsilon: 1e-5 }), c, bn);
}

function basicBlock(x: SymbolicTensor, name: string, width: number, stride: number, downsample: boolean): SymbolicTensor {
  let h = convBn(x, `${name}.conv1`, `${name}.bn1`, width, 3, stride);
  h = apply(layers.relu(), h, `${name}.relu1`);
  h = convBn(h, `${name}.conv2`, `${name}.bn2`, width, 3, 1);
  const shortcut = downsample ? convBn(x, `${name}.downsample.0`, `${name}.downsample.1`, width, 1, stride) : x;
  return apply(layers.add({ activation: 'relu' }), [h, shortcut], `${name}.add`);
}

function bottleneck(x: SymbolicTensor, name: string, width: number, stride: number, downsample: boolean): SymbolicTensor {
  let h = convBn(x, `${name}.conv1`, `${name}.bn1`, width, 1, 1);
  h = apply(layers.relu(), h, `${name}.relu1`);
  h = convBn(h, `${name}.conv2`, `${name}.bn2`, width, 3, stride);
  h = apply(layers.relu(), h, `${name}.relu2`);
  h = convBn(h, `${name}.conv3`, `${name}.bn3`, width * 4, 1, 1);
  const shortcut = downsample ? convBn(x, `${name}.downsample.0`, `${name}.downsample.1`, width * 4, 1, stride) : x;
  return apply(layers.add({ activation: 'relu' }), [h, shortcut], `${name}.add`);
}

export function buildResNet(cfg: ResNetConfig): { input: SymbolicTensor; output: SymbolicTensor } {
  const { bottleneck: isBottleneck, counts } = BLOCKS[cfg.depth];
  const expansion = isBottleneck ? 4 : 1;
  const block = isBottleneck ? bottleneck : basicBlock;
  const x = input([3, cfg.inputSize, cfg.inputSize], 'input');
  let h = convBn(x, 'conv1', 'bn1', 64, 7, 2);
  h = apply(layers.relu(), h, 'relu');
  h = apply(layers.maxPool2d({ kernelSize: 3, stride: 2, padding: 1 }), h, 'maxpool');
  let channels = 64;
  counts.forEach((count, stage) => {
    const width = 64 << stage;
    for (let i = 0; i < count; i++) {
      const stride = i === 0 && stage > 0 ? 2 : 1;
      const downsample = stride !== 1 || channels !== width * expansion;
      h = block(h, `layer${stage + 1}.${i}`, width, stride, downsample);
      channels = width * expansion;
    }
  });
  h = apply(layers.globalAvgPool(), h, 'avgpool');
  h = apply(layers.flatten(), h, 'flatten');
  const out = apply(layers.dense({ units: cfg.numClasses }), h, 'fc');
  return { input: x, output: out };
}
