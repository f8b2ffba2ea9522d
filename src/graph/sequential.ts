/** `Sequential`: a model whose layers run one after another. */
import type { Shape } from '../shape.js';
import type { LayerConfig } from '../ops/registry.js';
import { Model, type ModelOptions } from './model.js';

export interface SequentialOptions extends ModelOptions {
  /** Shape of one sample, (C, H, W) for images; the input is a batch of them, `['N', ...inputShape]`. */
  inputShape: Shape;
  name?: string;
}

/** A model whose layers run one after another: `new Sequential({ inputShape }).add(…).add(…)`. */
export class Sequential extends Model {
  #count = 0;
  constructor(options: SequentialOptions) {
    super({ name: options.name ?? 'sequential', inputs: [{ name: 'input', shape: ['N', ...options.inputShape] }], nodes: [], outputs: ['input'] }, options);
  }

  /** Appends a layer (named `name`, or `<type>_<k>`). Returns the model, for chaining. */
  add(layer: LayerConfig, name?: string): this {
    const g = this.graph;
    this.#count += 1;
    const nodeName = name ?? `${layer.type}_${this.#count}`;
    const prev = g.outputs[0];
    this.setGraph({ ...g, nodes: [...g.nodes, { name: nodeName, layer, inputs: [prev] }], outputs: [nodeName] });
    try {
      this.info(1);
    } catch (e) {
      this.setGraph(g);
      throw e;
    }
    return this;
  }
}
