/**
 * VGG-16: Simonyan, Zisserman, "Very deep convolutional networks for large-scale image
 * recognition", ICLR 2015 — configuration D, without batch norm, in torchvision's layout
 * (`torchvision.models.vgg16`): thirteen 3×3 convolutions (padding 1) + ReLU in five stages
 * closed by 2×2 max pooling, an adaptive 7×7 average pool (the identity at 224×224), and the
 * classifier 25088 → 4096 → 4096 → classes with dropout.
 *
 * Node names are torchvision's: `features.0` … `features.28` count every module of its
 * `features` Sequential (conv, ReLU, pool), `classifier.0/3/6` the dense layers.
 * 138,357,544 parameters.
 */
import { type SymbolicTensor, input, apply } from '../graph/functional.js';
import { layers } from '../graph/factories.js';

/** Configuration D: output channels of each 3×3 conv, 'M' for a 2×2 max pool. */
const VGG16_CFG: readonly (number | 'M')[] = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'];

export interface VggConfig {
  inputSize: number;
  numClasses: number;
  /** Width of the two hidden dense layers (4096 in the paper). */
  classifierHidden: number;
}

export function buildVgg16(cfg: VggConfig): { input: SymbolicTensor; output: SymbolicTensor } {
  const x = input([3, cfg.inputSize, cfg.inputSize], 'input');
  let h = x;
  let index = 0; // the module index in torchvision's `features`
  for (const v of VGG16_CFG) {
    if (v === 'M') {
      h = apply(layers.maxPool2d({ kernelSize: 2, stride: 2 }), h, `features.${index++}`);
    } else {
      h = apply(layers.conv2d({ filters: v, kernelSize: 3, padding: 1 }), h, `features.${index++}`);
      h = apply(layers.relu(), h, `features.${index++}`);
    }
  }
  h = apply(layers.adaptiveAvgPool(7), h, 'avgpool');
  h = apply(layers.flatten(), h, 'flatten');
  h = apply(layers.dense({ units: cfg.classifierHidden }), h, 'classifier.0');
  h = apply(layers.relu(), h, 'classifier.1');
  h = apply(layers.dropout(0.5), h, 'classifier.2');
  h = apply(layers.dense({ units: cfg.classifierHidden }), h, 'classifier.3');
  h = apply(layers.relu(), h, 'classifier.4');
  h = apply(layers.dropout(0.5), h, 'classifier.5');
  const out = apply(layers.dense({ units: cfg.numClasses }), h, 'classifier.6');
  return { input: x, output: out };
}
