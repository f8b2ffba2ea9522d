/**
 * webcnn/onnx: run models exported from PyTorch (or anything that writes ONNX) on webcnn.
 *
 * ```ts
 * import { loadOnnx } from 'webcnn/onnx';
 * const model = await loadOnnx('/models/resnet18.onnx');
 * const logits = await model.predict(image); // Float32Array, NCHW
 * ```
 */
export { OnnxError } from './errors.js';
export {
  loadOnnx, importOnnx, inspectOnnx, OnnxModel, MIN_OPSET, MAX_OPSET, type LoadOnnxOptions, type OnnxModelInfo, type OnnxConstant, type OnnxRunInput, type OnnxSummary,
} from './import.js';
export { SUPPORTED_OPS } from './ops.js';
export { decodeTensor } from './proto.js';
export { tensorFromProto, type ConstTensor } from './tensor.js';
