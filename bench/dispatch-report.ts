/**
 * The dispatch report (`Model.dispatchReport`) of every zoo model at 224×224, batch 1, under
 * two adapter classes' tunings: the default (hardware)
 * one and the software adapter's (SwiftShader, which keeps the choice by work alone). Records
 * the plans without compiling or running them, so it takes seconds.
 *
 *   npx vite-node bench/dispatch-report.ts                 # every zoo model
 *   npx vite-node bench/dispatch-report.ts resnet50 -v     # one model, listing its small dispatches
 */
import { WebGpuBackend, createModel, ZOO_NAMES, formatDispatchReport, type ZooName } from 'webcnn';

const TUNINGS = [
  { name: 'default', adapter: { vendor: '', architecture: '' } },
  { name: 'software', adapter: { vendor: 'google', architecture: 'swiftshader' } },
] as const;

const args = process.argv.slice(2);
const verbose = args.includes('-v');
const names = args.filter((a) => a !== '-v');
const models = ZOO_NAMES.filter((n) => names.length === 0 || names.includes(n));
const base = await WebGpuBackend.create();
console.log(`${'model'.padEnd(20)} ${'tuning'.padEnd(9)} ${'dispatches'.padStart(10)} ${'min wg'.padStart(7)} ${'median'.padStart(7)} ${'GMAC'.padStart(7)} ${'small'.padStart(6)} ${'MAC share in small'.padStart(19)}`);
for (const name of models) {
  for (const t of TUNINGS) {
    const backend = WebGpuBackend.create({ context: base.ctx, debug: { tuningAdapter: t.adapter } });
    const model = createModel(name as ZooName, { inputSize: 224, backend: await backend });
    const r = await model.dispatchReport(1);
    console.log(
      `${name.padEnd(20)} ${t.name.padEnd(9)} ${String(r.dispatches.length).padStart(10)} ${String(r.workgroups.min).padStart(7)} ${String(r.workgroups.median).padStart(7)} ` +
        `${(r.totalMacs / 1e9).toFixed(3).padStart(7)} ${String(r.smallDispatches).padStart(6)} ${`${(100 * r.smallMacsShare).toFixed(1)}%`.padStart(19)}`,
    );
    if (verbose) console.log(`${formatDispatchReport(r)}\n`);
    model.dispose();
    (await backend).dispose();
  }
}
base.dispose();
