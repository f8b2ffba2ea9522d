/** Data loading: the IDX parser and MNIST (browser-safe; Node built-ins load on demand). */
export { parseIdx, isGzip, IdxFormatError, type IdxArray, type IdxType, type IdxData } from './idx.js';
export {
  loadMnist, padTo32, lecunNormalize, DataLoadError, MNIST_FILES, MNIST_SIZE, LECUN_BACKGROUND, LECUN_FOREGROUND,
  type MnistSplit, type MnistSource, type MnistOptions, type MnistData, type PadOptions,
} from './mnist.js';
