/**
 * What a computation asks of a GPU's parallelism, from its recorded dispatches alone (nothing
 * is compiled or run): how many dispatches, how many workgroups each launches, and how much of
 * the work (multiply-adds of the products: conv2d, matmul) sits in dispatches too small to
 * fill a large GPU. A GPU with 60–140 compute units needs a few hundred workgroups in flight;
 * a dispatch of fewer than `SMALL_DISPATCH_WORKGROUPS` leaves most of it idle.
 */

/** Workgroups below which a dispatch is counted as too small to fill a large GPU. */
export const SMALL_DISPATCH_WORKGROUPS = 128;

/** One recorded dispatch. */
export interface DispatchInfo {
  /** The layer (scope) that issued it, or '' outside any. */
  readonly scope: string;
  /** Kernel name and entry point, e.g. 'conv2d:gemm'. */
  readonly kernel: string;
  /** Workgroups launched (x · y · z). */
  readonly workgroups: number;
  /** Multiply-adds, for products (conv2d, matmul); 0 for the rest. */
  readonly macs: number;
}

export interface DispatchReport {
  readonly dispatches: readonly DispatchInfo[];
  /** Multiply-adds of all products. */
  readonly totalMacs: number;
  /** The threshold used (SMALL_DISPATCH_WORKGROUPS). */
  readonly smallWorkgroups: number;
  /** Dispatches of fewer than `smallWorkgroups` workgroups. */
  readonly smallDispatches: number;
  /** Share (0..1) of `totalMacs` in those dispatches. */
  readonly smallMacsShare: number;
  /** Workgroups per dispatch: least, median, most. */
  readonly workgroups: { readonly min: number; readonly median: number; readonly max: number };
}

/** Summarises dispatches (in order) into a report. */
export function summarizeDispatches(dispatches: readonly DispatchInfo[], smallWorkgroups = SMALL_DISPATCH_WORKGROUPS): DispatchReport {
  const totalMacs = dispatches.reduce((s, d) => s + d.macs, 0);
  const small = dispatches.filter((d) => d.workgroups < smallWorkgroups);
  const smallMacs = small.reduce((s, d) => s + d.macs, 0);
  const sorted = dispatches.map((d) => d.workgroups).sort((a, b) => a - b);
  return {
    dispatches,
    totalMacs,
    smallWorkgroups,
    smallDispatches: small.length,
    smallMacsShare: totalMacs > 0 ? smallMacs / totalMacs : 0,
    workgroups: { min: sorted[0] ?? 0, median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted[sorted.length - 1] ?? 0 },
  };
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const gmac = (v: number) => `${(v / 1e9).toFixed(3)} GMAC`;

/**
 * The report as text: totals, then (with `all`) one line per dispatch, else the products in
 * dispatches of fewer than `smallWorkgroups` workgroups, largest first.
 */
export function formatDispatchReport(r: DispatchReport, all = false): string {
  const lines = [
    `dispatches             ${r.dispatches.length}`,
    `workgroups / dispatch  min ${r.workgroups.min}, median ${r.workgroups.median}, max ${r.workgroups.max}`,
    `multiply-adds          ${gmac(r.totalMacs)}`,
    `small dispatches       ${r.smallDispatches} of ${r.dispatches.length} launch < ${r.smallWorkgroups} workgroups, holding ${pct(r.smallMacsShare)} of the multiply-adds`,
  ];
  const rows = all ? r.dispatches : r.dispatches.filter((d) => d.workgroups < r.smallWorkgroups && d.macs > 0).sort((a, b) => b.macs - a.macs);
  if (rows.length > 0) {
    lines.push('', all ? 'every dispatch:' : `products in small dispatches:`);
    const w = Math.max(5, ...rows.map((d) => d.scope.length));
    lines.push(`  ${'layer'.padEnd(w)}  ${'kernel'.padEnd(22)} ${'workgroups'.padStart(10)} ${'MMAC'.padStart(10)}`);
    for (const d of rows) lines.push(`  ${d.scope.padEnd(w)}  ${d.kernel.padEnd(22)} ${String(d.workgroups).padStart(10)} ${(d.macs / 1e6).toFixed(2).padStart(10)}`);
  }
  return lines.join('\n');
}
