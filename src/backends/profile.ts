/** A profile from the timings of a run's units of work, summed per scope (layer) in order of first appearance. */
import type { DispatchTiming, PlanProfile } from './backend.js';

export function profileOf(dispatches: readonly DispatchTiming[], source: PlanProfile['source']): PlanProfile {
  const layers: { name: string; ms: number; dispatches: number }[] = [];
  for (const d of dispatches) {
    const layer = layers.find((l) => l.name === d.scope);
    if (layer) {
      layer.ms += d.ms;
      layer.dispatches++;
    } else layers.push({ name: d.scope, ms: d.ms, dispatches: 1 });
  }
  return { dispatches, layers, totalMs: dispatches.reduce((s, d) => s + d.ms, 0), source };
}
