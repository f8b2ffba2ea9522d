/**
 * AlexNet: Krizhevsky, Sutskever, Hinton, "ImageNet classification with deep convolutional
 * neural networks", NeurIPS 2012 — in torchvision's layout (`torchvision.models.alexnet`,
 * from the "one weird trick" single-tower variant: 64/192/384/256/256 filters), optionally
 * with the paper's two extras:
 *
 * - `lrn` (default on): local response normalisation after the first two ReLUs, size 5,
 *   alpha 1e-4, beta 0.75, k 2 (section 3.3). Parameter-free. Our LRN divides alpha by the
 *   size, as PyTorch's `LocalResponseNorm` and Caffe's reference AlexNet do.
 * - `groupedConvs`: conv2, conv4 and conv5 split in two groups, as when the net was spread over
 *   two GPUs (each half reads only its own GPU's maps from the layer below); conv3 and the
 *   dense layers stay full.
 *
 * Node names are torchvision's (`features.0`, `features.3`, …, `classifier.6`) so that its
 * state_dict maps by name; the LRN nodes, which torchvision lacks, are `lrn1` and `lrn2`.
 * 61,100,840 parameters (60,209,960 with grouped convolutions).
 */
import { type SymbolicTensor, input, apply } from '../graph/functional.js';
import { layers } from '../graph/factories.js';

export interface AlexNetConfig {
  inputSize: number;
  numClasses: number;
  groupedConvs: boolean;
  lrn: boolean;
  /** Width of the two hidden dense layers (4096 in the paper). */
  classifierHidden: number;
}

export function buildAlexNet(cfg: AlexNetConfig): { input: SymbolicTensor; output: SymbolicTensor } {
  const groups = cfg.groupedConvs ? 2 : 1;
  const x = input([3, cfg.inputSize, cfg.inputSize], 'input');
  let h = apply(layers.conv2d({ filters: 64, kernelSize: 11, stride: 4, padding: 2 }), x, 'features.0');
  h = apply(layers.relu(), h, 'features.1');
  if (cfg.lrn) h = apply(layers.lrn({ size: 5, alpha: 1e-4, beta: 0.75, k: 2 }), h, 'lrn1');
  h = apply(layers.maxPool2d({ kernelSize: 3, stride: 2 }), h, 'features.2');
  h = apply(layers.conv2d({ filters: 192, kernelSize: 5, padding: 2, groups }), h, 'features.3');
  h = apply(layers.relu(), h, 'features.4');
  if (cfg.lrn) h = apply(layers.lrn({ size: 5, alpha: 1e-4, beta: 0.75, k: 2 }), h, 'lrn2');
  h = apply(layers.maxPool2d({ kernelSize: 3, stride: 2 }), h, 'features.5');
  h = apply(layers.conv2d({ filters: 384, kernelSize: 3, padding: 1 }), h, 'features.6');
  h = apply(layers.relu(), h, 'features.7');
  h = apply(layers.conv2d({ filters: 256, kernelSize: 3, padding: 1, groups }), h, 'features.8');
  h = apply(layers.relu(), h, 'features.9');
  h = apply(layers.conv2d({ filters: 256, kernelSize: 3, padding: 1, groups }), h, 'features.10');
  h = apply(layers.relu(), h, 'features.11');
  h = apply(layers.maxPool2d({ kernelSize: 3, stride: 2 }), h, 'features.12');
  h = apply(layers.adaptiveAvgPool(6), h, 'avgpool');
  h = apply(layers.flatten(), h, 'flatten');
  h = apply(layers.dropout(0.5), h, 'classifier.0');
  h = apply(layers.dense({ units: cfg.classifierHidden }), h, 'classifier.1');
  h = apply(layers.relu(), h, 'classifier.2');
  h = apply(layers.dropout(0.5), h, 'classifier.3');
  h = apply(layers.dense({ units: cfg.classifierHidden }), h, 'classifier.4');
  h = apply(layers.relu(), h, 'classifier.5');
  const out = apply(layers.dense({ units: cfg.numClasses }), h, 'classifier.6');
  return { input: x, output: out };
}
