/**
 * "LeNet" as it is usually taught today (e.g. the PyTorch tutorial and d2l.ai): LeNet-5's
 * layout on 28×28 MNIST with the 1998 specifics replaced by common parts — C1 padded to keep
 * 28×28, plain pooling instead of trainable subsampling, full C3 connectivity, and a dense
 * classifier instead of the RBF output.
 *
 *   input (1, 28, 28)
 *   conv1  conv 6@5×5 pad 2 + act    (6, 28, 28)     156 params
 *   pool1  2×2                       (6, 14, 14)
 *   conv2  conv 16@5×5 + act         (16, 10, 10)  2,416
 *   pool2  2×2                       (16, 5, 5)
 *   fc1    dense 120 + act           (120)        48,120
 *   fc2    dense 84 + act            (84)         10,164
 *   fc3    dense numClasses          (10)            850
 *
 * 61,706 parameters with 10 classes. Names follow the PyTorch tutorial's `Net`.
 */
import { type SymbolicTensor, input, apply } from '../graph/functional.js';
import { layers } from '../graph/factories.js';

export interface LeNetConfig {
  inputSize: number;
  numClasses: number;
  activation: 'sigmoid' | 'relu';
  pooling: 'avg' | 'max';
}

export function buildLeNet(cfg: LeNetConfig): { input: SymbolicTensor; output: SymbolicTensor } {
  const act = cfg.activation;
  const pool = () => (cfg.pooling === 'max' ? layers.maxPool2d({ kernelSize: 2 }) : layers.avgPool2d({ kernelSize: 2 }));
  const x = input([1, cfg.inputSize, cfg.inputSize], 'input');
  let h = apply(layers.conv2d({ filters: 6, kernelSize: 5, padding: 2 }), x, 'conv1');
  h = apply(layers.activation(act), h, 'act1');
  h = apply(pool(), h, 'pool1');
  h = apply(layers.conv2d({ filters: 16, kernelSize: 5 }), h, 'conv2');
  h = apply(layers.activation(act), h, 'act2');
  h = apply(pool(), h, 'pool2');
  h = apply(layers.flatten(), h, 'flatten');
  h = apply(layers.dense({ units: 120 }), h, 'fc1');
  h = apply(layers.activation(act), h, 'act3');
  h = apply(layers.dense({ units: 84 }), h, 'fc2');
  h = apply(layers.activation(act), h, 'act4');
  const out = apply(layers.dense({ units: cfg.numClasses }), h, 'fc3');
  return { input: x, output: out };
}
