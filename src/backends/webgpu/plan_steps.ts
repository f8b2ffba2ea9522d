/**
 * What an execution plan replays (its steps: a pipeline, a bind group and a workgroup count
 * each, all made at plan time) and the one function that encodes them, for running and for
 * both ways of profiling.
 */

export interface Step {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: readonly [number, number, number];
  /** Layer that issued it (`withLabel`), else the kernel's label. */
  scope: string;
  kernel: string;
}

/** The bytes of a `zeros()` tensor's buffer that every run clears before its first dispatch. */
export interface Clear {
  buffer: GPUBuffer;
  bytes: number;
}

/**
 * Encodes plan work into `encoder`: `clears`, then `steps` in one compute pass, or with
 * `timestamps` one pass per step whose start and end are written to queries 2i and 2i + 1.
 */
export function encodeSteps(
  encoder: GPUCommandEncoder,
  steps: readonly Step[],
  options: { label: string; clears?: readonly Clear[]; timestamps?: GPUQuerySet },
): void {
  for (const c of options.clears ?? []) encoder.clearBuffer(c.buffer, 0, c.bytes);
  const querySet = options.timestamps;
  const passes = querySet ? steps.map((s) => [s]) : [steps];
  passes.forEach((part, i) => {
    const pass = encoder.beginComputePass(
      querySet
        ? { label: options.label, timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } }
        : { label: options.label },
    );
    for (const s of part) {
      pass.setPipeline(s.pipeline);
      pass.setBindGroup(0, s.bindGroup);
      const [x, y, z] = s.workgroups;
      if (x > 0 && y > 0 && z > 0) pass.dispatchWorkgroups(x, y, z);
    }
    pass.end();
  });
}
