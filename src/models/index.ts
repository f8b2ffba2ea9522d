/**
 * The model zoo: the classic CNNs by name, built on the functional model API with
 * PyTorch/torchvision module names, so that published state_dicts map onto them by name.
 *
 * ```ts
 * const model = createModel('resnet18', { inputSize: 64, numClasses: 10, seed: 1 });
 * console.log(model.summary());
 * const logits = await model.predict(image); // (1, 3, 64, 64) NCHW values
 * ```
 *
 * One file per architecture. `createModel` resolves and checks the options, builds the graph
 * and infers every shape on the meta backend, so a bad option or an input too small for the
 * architecture fails here, naming the layer, before any weights or GPU work exist.
 */
import { InvalidArgumentError } from '../errors.js';
import { Model, type ModelOptions } from '../graph/model.js';
import type { SymbolicTensor } from '../graph/functional.js';
import { buildLeNet5 } from './lenet5.js';
import { buildLeNet } from './lenet.js';
import { buildAlexNet } from './alexnet.js';
import { buildVgg16 } from './vgg.js';
import { buildGoogLeNet } from './googlenet.js';
import { buildResNet } from './resnet.js';
import { buildMobileNetV2 } from './mobilenet_v2.js';
import { buildMobileNetV3 } from './mobilenet_v3.js';
import { buildUNet } from './unet.js';
import { LENET5_IMAGE_INPUT } from '../engine/input.js';

export { LENET5_DIGITS, LENET5_C3_TABLE } from './lenet5.js';

export type ZooName =
  | 'lenet5' | 'lenet' | 'alexnet' | 'vgg16' | 'googlenet' | 'resnet18' | 'resnet34' | 'resnet50'
  | 'mobilenet_v2' | 'mobilenet_v3_small' | 'mobilenet_v3_large' | 'unet';

export const ZOO_NAMES: readonly ZooName[] = [
  'lenet5', 'lenet', 'alexnet', 'vgg16', 'googlenet', 'resnet18', 'resnet34', 'resnet50',
  'mobilenet_v2', 'mobilenet_v3_small', 'mobilenet_v3_large', 'unet',
];

export interface ZooOptions extends ModelOptions {
  /** Input height = width (default: the architecture's own: 32 lenet5, 28 lenet, 64 unet, 224 others). */
  inputSize?: number;
  /**
   * Output classes (default 10 for lenet5 and lenet, 2 for unet (per pixel), 1000 for the
   * others; lenet5 has exactly 10).
   */
  numClasses?: number;
  /** lenet only: the activation after every hidden layer (default 'relu'). */
  activation?: 'sigmoid' | 'relu';
  /** lenet only: the 2×2 pooling (default 'max'). */
  pooling?: 'avg' | 'max';
  /** alexnet only: the original two-GPU grouped conv2/4/5 (default false, as torchvision). */
  groupedConvs?: boolean;
  /** alexnet only: LRN after conv1 and conv2 as in the paper (default true; no parameters). */
  lrn?: boolean;
  /**
   * alexnet and vgg16 only: width of the two hidden dense layers (default 4096, the paper's).
   * A smaller width keeps the 9216×4096 / 25088×4096 weight matrices (151 MB / 411 MB) out of
   * tests and small-input experiments; the convolutional trunk is unchanged.
   */
  classifierHidden?: number;
  /**
   * lenet5 only: initial weights. 'fanIn' (default): uniform ±1/√fanIn. 'lecun98': the paper's
   * uniform ±2.4/fanIn, which assumes the paper's per-parameter step sizes (stochastic
   * diagonal Levenberg-Marquardt); with SGD or Adam its near-linear C5/F6 start stalls at the
   * mean of the RBF centres (measured: chance accuracy after 3 epochs of 4,096 images, where
   * 'fanIn' reaches 83% after one).
   */
  init?: 'fanIn' | 'lecun98';
  /** unet only: channels of the first double conv, doubled at each level down (default 16; the paper's is 64). */
  width?: number;
  /** unet only: levels down and up, one 2×2 max pool each (default 4, the paper's); the input size must be a multiple of 2^depth. */
  depth?: number;
}

export interface ZooEntry {
  name: ZooName;
  description: string;
  defaultInputSize: number;
  inputChannels: number;
  /** The paper. */
  reference: string;
}

export const ZOO: Readonly<Record<ZooName, ZooEntry>> = {
  lenet5: {
    name: 'lenet5',
    description: 'LeNet-5 as published: scaled tanh, trainable subsampling, the C3 connection table and Euclidean RBF outputs over fixed 7×12 digit bitmaps (60,840 parameters).',
    defaultInputSize: 32,
    inputChannels: 1,
    reference: 'Y. LeCun, L. Bottou, Y. Bengio, P. Haffner. Gradient-based learning applied to document recognition. Proc. IEEE 86(11), 1998.',
  },
  lenet: {
    name: 'lenet',
    description: 'The modern textbook LeNet on 28×28: two 5×5 convolutions with pooling and three dense layers; ReLU or sigmoid, max or average pooling (61,706 parameters).',
    defaultInputSize: 28,
    inputChannels: 1,
    reference: 'Y. LeCun, L. Bottou, Y. Bengio, P. Haffner. Gradient-based learning applied to document recognition. Proc. IEEE 86(11), 1998.',
  },
  alexnet: {
    name: 'alexnet',
    description: "AlexNet in torchvision's layout, with the paper's LRN (and optionally its two-GPU grouped convolutions) (61,100,840 parameters).",
    defaultInputSize: 224,
    inputChannels: 3,
    reference: 'A. Krizhevsky, I. Sutskever, G. E. Hinton. ImageNet classification with deep convolutional neural networks. NeurIPS 2012.',
  },
  vgg16: {
    name: 'vgg16',
    description: "VGG-16 (configuration D, no batch norm) in torchvision's layout (138,357,544 parameters).",
    defaultInputSize: 224,
    inputChannels: 3,
    reference: 'K. Simonyan, A. Zisserman. Very deep convolutional networks for large-scale image recognition. ICLR 2015.',
  },
  googlenet: {
    name: 'googlenet',
    description: "GoogLeNet (Inception v1) in torchvision's layout with batch norm, without auxiliary classifiers (6,624,904 parameters).",
    defaultInputSize: 224,
    inputChannels: 3,
    reference: 'C. Szegedy, W. Liu, Y. Jia, P. Sermanet, S. Reed, D. Anguelov, D. Erhan, V. Vanhoucke, A. Rabinovich. Going deeper with convolutions. CVPR 2015.',
  },
  resnet18: {
    name: 'resnet18',
    description: "ResNet-18: basic residual blocks [2, 2, 2, 2], torchvision's layout (11,689,512 parameters).",
    defaultInputSize: 224,
    inputChannels: 3,
    reference: 'K. He, X. Zhang, S. Ren, J. Sun. Deep residual learning for image recognition. CVPR 2016.',
  },
  resnet34: {
    name: 'resnet34',
    description: "ResNet-34: basic residual blocks [3, 4, 6, 3], torchvision's layout (21,797,672 parameters).",
    defaultInputSize: 224,
    inputChannels: 3,
    reference: 'K. He, X. Zhang, S. Ren, J. Sun. Deep residual learning for image recognition. CVPR 2016.',
  },
  resnet50: {
    name: 'resnet50',
    description: "ResNet-50: bottleneck blocks [3, 4, 6, 3] with the stride on the 3×3 convolution (torchvision's v1.5) (25,557,032 parameters).",
    defaultInputSize: 224,
    inputChannels: 3,
    reference: 'K. He, X. Zhang, S. Ren, J. Sun. Deep residual learning for image recognition. CVPR 2016.',
  },
  mobilenet_v2: {
    name: 'mobilenet_v2',
    description: "MobileNetV2: inverted residual blocks with depthwise 3×3 convolutions, ReLU6 and linear bottlenecks, torchvision's layout (3,504,872 parameters).",
    defaultInputSize: 224,
    inputChannels: 3,
    reference: 'M. Sandler, A. Howard, M. Zhu, A. Zhmoginov, L.-C. Chen. MobileNetV2: Inverted residuals and linear bottlenecks. CVPR 2018.',
  },
  mobilenet_v3_small: {
    name: 'mobilenet_v3_small',
    description: "MobileNetV3-Small: inverted residuals with 3×3 and 5×5 depthwise convolutions, hardswish and squeeze-and-excitation (hardsigmoid gating), torchvision's layout (2,542,856 parameters).",
    defaultInputSize: 224,
    inputChannels: 3,
    reference: 'A. Howard, M. Sandler, G. Chu, L.-C. Chen, B. Chen, M. Tan, W. Wang, Y. Zhu, R. Pang, V. Vasudevan, Q. V. Le, H. Adam. Searching for MobileNetV3. ICCV 2019.',
  },
  mobilenet_v3_large: {
    name: 'mobilenet_v3_large',
    description: "MobileNetV3-Large: inverted residuals with 3×3 and 5×5 depthwise convolutions, ReLU or hardswish and squeeze-and-excitation (hardsigmoid gating), torchvision's layout (5,483,032 parameters).",
    defaultInputSize: 224,
    inputChannels: 3,
    reference: 'A. Howard, M. Sandler, G. Chu, L.-C. Chen, B. Chen, M. Tan, W. Wang, Y. Zhu, R. Pang, V. Vasudevan, Q. V. Le, H. Adam. Searching for MobileNetV3. ICCV 2019.',
  },
  unet: {
    name: 'unet',
    description: 'U-Net for per-pixel classification: double 3×3 conv + batch norm + ReLU blocks, max pooling down, 2×2 up-convolutions up with skip concatenations, a 1×1 head; by default width 16 and depth 4 (1,942,594 parameters; the paper\'s width 64 has 31,037,698).',
    defaultInputSize: 64,
    inputChannels: 3,
    reference: 'O. Ronneberger, P. Fischer, T. Brox. U-Net: Convolutional networks for biomedical image segmentation. MICCAI 2015.',
  },
};

/** The options only some architectures take, and which. */
const SPECIFIC_OPTIONS: Readonly<Record<string, readonly ZooName[]>> = {
  activation: ['lenet'],
  pooling: ['lenet'],
  groupedConvs: ['alexnet'],
  lrn: ['alexnet'],
  classifierHidden: ['alexnet', 'vgg16'],
  width: ['unet'],
  depth: ['unet'],
};

const OP = 'createModel';

function positiveInt(name: ZooName, option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new InvalidArgumentError(OP, `${option} must be a positive integer, got ${value}`, name);
  return value;
}

function oneOf<T extends string>(name: ZooName, option: string, value: T | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value)) throw new InvalidArgumentError(OP, `${option} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${JSON.stringify(value)}`, name);
  return value;
}

function flag(name: ZooName, option: string, value: boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidArgumentError(OP, `${option} must be true or false, got ${JSON.stringify(value)}`, name);
  return value;
}

/**
 * Builds a zoo model with seeded random weights (load trained ones with `setWeights`, whose
 * names follow PyTorch's state_dict). Throws `InvalidArgumentError` for an unknown name or a bad
 * option, and `ShapeError` naming the layer when the input is too small for the architecture.
 */
export function createModel(name: ZooName, options: ZooOptions = {}): Model {
  if (!(ZOO_NAMES as readonly string[]).includes(name)) {
    throw new InvalidArgumentError(OP, `unknown model ${JSON.stringify(name)}; the zoo has ${ZOO_NAMES.join(', ')}`);
  }
  for (const [option, models] of Object.entries(SPECIFIC_OPTIONS)) {
    if (options[option as keyof ZooOptions] !== undefined && !models.includes(name)) {
      throw new InvalidArgumentError(OP, `option '${option}' applies to ${models.join(' and ')} only`, name);
    }
  }
  const entry = ZOO[name];
  const inputSize = positiveInt(name, 'inputSize', options.inputSize, entry.defaultInputSize);
  const isLeNet = name === 'lenet5' || name === 'lenet';
  const numClasses = positiveInt(name, 'numClasses', options.numClasses, isLeNet ? 10 : name === 'unet' ? 2 : 1000);
  const classifierHidden = positiveInt(name, 'classifierHidden', options.classifierHidden, 4096);

  let built: { input: SymbolicTensor; output: SymbolicTensor };
  switch (name) {
    case 'lenet5':
      if (numClasses !== 10) throw new InvalidArgumentError(OP, `numClasses must be 10: the RBF outputs are the ten digits' fixed bitmaps, got ${numClasses}`, name);
      built = buildLeNet5({ inputSize, init: oneOf(name, 'init', options.init, ['fanIn', 'lecun98'], 'fanIn') === 'lecun98' ? 'lecun98' : 'pytorch' });
      break;
    case 'lenet':
      built = buildLeNet({
        inputSize,
        numClasses,
        activation: oneOf(name, 'activation', options.activation, ['relu', 'sigmoid'], 'relu'),
        pooling: oneOf(name, 'pooling', options.pooling, ['max', 'avg'], 'max'),
      });
      break;
    case 'alexnet':
      built = buildAlexNet({
        inputSize,
        numClasses,
        classifierHidden,
        groupedConvs: flag(name, 'groupedConvs', options.groupedConvs, false),
        lrn: flag(name, 'lrn', options.lrn, true),
      });
      break;
    case 'vgg16':
      built = buildVgg16({ inputSize, numClasses, classifierHidden });
      break;
    case 'googlenet':
      built = buildGoogLeNet({ inputSize, numClasses });
      break;
    case 'resnet18':
    case 'resnet34':
    case 'resnet50':
      built = buildResNet({ depth: name === 'resnet18' ? 18 : name === 'resnet34' ? 34 : 50, inputSize, numClasses });
      break;
    case 'mobilenet_v2':
      built = buildMobileNetV2({ inputSize, numClasses });
      break;
    case 'mobilenet_v3_small':
    case 'mobilenet_v3_large':
      built = buildMobileNetV3({ variant: name === 'mobilenet_v3_small' ? 'small' : 'large', inputSize, numClasses });
      break;
    case 'unet': {
      const depth = positiveInt(name, 'depth', options.depth, 4);
      if (inputSize % 2 ** depth !== 0) {
        throw new InvalidArgumentError(OP, `inputSize must be a multiple of 2^depth = ${2 ** depth} (each of the ${depth} levels halves it), got ${inputSize}`, name);
      }
      built = buildUNet({ inputSize, inputChannels: entry.inputChannels, numClasses, width: positiveInt(name, 'width', options.width, 16), depth });
      break;
    }
  }
  const { backend, seed, fuse, reuseMemory } = options;
  // Images fed to predict() are prepared as the model was trained: LeNet-5 as in the paper.
  const image = { ...(name === 'lenet5' ? LENET5_IMAGE_INPUT : {}), ...options.image };
  const model = new Model({ inputs: built.input, outputs: built.output, name, backend, seed, fuse, reuseMemory, image });
  model.info(1); // every shape, before any weights or GPU work
  return model;
}
