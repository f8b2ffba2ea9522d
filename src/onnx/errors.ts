/** The ONNX importer's typed error. */
import { WebCnnError } from '../errors.js';

/**
 * A file the importer cannot use: malformed, truncated or hostile protobuf, inconsistent
 * tensors, a graph with cycles or missing values, or an op, attribute or opset it does not
 * support. The message names the file, the node (name and op type) and the opset where known.
 */
export class OnnxError extends WebCnnError {}
