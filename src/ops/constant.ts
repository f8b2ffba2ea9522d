/**
 * A constant as a layer's output: its values are the layer's one parameter, copied to a tensor
 * of its own when the layer runs. Graphs whose outputs are known when they are built (ONNX's
 * Shape of an input, a Constant, a Dropout mask at inference) still return them as outputs.
 */
import { defineOp, param } from './op.js';
import { sizeOf } from '../shape.js';

export interface ConstantLayer {
  type: 'constant';
  /** The whole shape of the value (`[]` for a scalar). */
  shape: readonly number[];
}

export const constantOp = defineOp<ConstantLayer>({
  type: 'constant',
  inputs: 0,
  params: (layer) => [param('value', [...layer.shape], { kind: 'constant', value: 0 }, false)],
  // A copy, not the parameter itself: the caller owns (and frees) what a model returns.
  forward(b, { layer, params: [v] }) {
    const flat = b.reshape(v, [sizeOf(layer.shape)]);
    const copy = b.concat([flat], 0);
    flat.dispose();
    const y = b.reshape(copy, [...layer.shape]);
    copy.dispose();
    return y;
  },
  flops: () => 0,
});
