/**
 * The benchmark's pure parts, shared by the page and the runner and tested in
 * test/bench_report.test.ts: statistics, the result types, the JSON written to
 * bench/results/latest.json, the markdown table, the SVG chart, and the results section of
 * docs/benchmarks.md.
 */

/**
 * Every engine of the bench: webcnn on WebGPU (`webcnn`) and on its WebAssembly backend
 * (`webcnn-wasm`), and the peers. `tfjs-cpu` (TensorFlow.js's plain-JavaScript CPU backend)
 * only trains.
 */
export type Engine = 'webcnn' | 'tfjs-webgpu' | 'ort-webgpu' | 'webcnn-wasm' | 'ort-wasm' | 'tfjs-wasm' | 'tfjs-cpu';
/** The WebGPU engines, in the order of the WebGPU table's columns. */
export const WEBGPU_ENGINES: readonly Engine[] = ['webcnn', 'tfjs-webgpu', 'ort-webgpu'];
/** The WebAssembly engines, all run on the same thread count, in the order of the CPU table's columns. */
export const CPU_ENGINES: readonly Engine[] = ['webcnn-wasm', 'ort-wasm', 'tfjs-wasm'];
/** The engines that run the models, in the order they run (so webcnn's output is there to compare with). */
export const ENGINES: readonly Engine[] = [...WEBGPU_ENGINES, ...CPU_ENGINES];
/** The engines that train LeNet-5 and LeNet. */
export const TRAINING_ENGINES: readonly Engine[] = ['webcnn', 'tfjs-webgpu', 'webcnn-wasm', 'tfjs-cpu'];
/** The engines of the kernel microbenchmarks (matmul, conv2d). */
export const KERNEL_ENGINES: readonly Engine[] = ['webcnn', 'tfjs-webgpu', 'webcnn-wasm', 'tfjs-wasm'];
/** Every engine `--engines` takes. */
export const ALL_ENGINES: readonly Engine[] = [...ENGINES, 'tfjs-cpu'];
/** webcnn's own engines: a run needs at least one, and the first that runs is the others' reference output. */
export const WEBCNN_ENGINES: readonly Engine[] = ['webcnn', 'webcnn-wasm'];
export const WEBGPU_PEERS: readonly Engine[] = ['tfjs-webgpu', 'ort-webgpu'];
/** What each webcnn engine's training images/s are divided by. */
export const TRAINING_PEERS: ReadonlyMap<Engine, Engine> = new Map<Engine, Engine>([['webcnn', 'tfjs-webgpu'], ['webcnn-wasm', 'tfjs-cpu']]);

/** One model at one batch size, as the runner asks the page for it. */
export interface ModelCase {
  model: string;
  /** The cache files' stem: `resnet18-64`, `alexnet-96-h1024`. */
  key: string;
  size: number;
  channels: number;
  batch: number;
  classifierHidden?: number;
  engines: readonly Engine[];
  warmup: number;
  runs: number;
}

export interface LayerTime {
  name: string;
  ms: number;
  dispatches: number;
}

export interface ModelResult {
  model: string;
  input: number[];
  batch: number;
  engine: Engine;
  medianMs: number | null;
  minMs: number | null;
  maxMs: number | null;
  firstRunMs: number | null;
  /**
   * Largest |output − webcnn's output|: webcnn on WebGPU's when it ran, else webcnn-wasm's (0 for
   * that engine itself; null when neither ran).
   */
  maxAbsDiff: number | null;
  /** Details kept out of latest.json's results: difference from PyTorch, webcnn's per-layer times, failures. */
  vsTorch?: number;
  profile?: LayerTime[];
  profileSource?: string;
  /** webcnn engines only: the model came from the zoo (safetensors loaded by name) or from the ONNX export (`loadOnnx`). */
  webcnnFrom?: 'zoo' | 'onnx';
  error?: string;
}

export interface TrainingCase {
  model: string;
  key: string;
  size: number;
  channels: number;
  batch: number;
  steps: number;
  lr: number;
  momentum: number;
  engines: readonly Engine[];
}

export interface TrainingResult {
  model: string;
  engine: Engine;
  batch: number;
  imagesPerSec: number | null;
  steps?: number;
  finalLoss?: number;
  error?: string;
}

export interface KernelCase {
  matmul: readonly number[];
  conv: readonly { x: [number, number, number, number]; w: [number, number, number, number]; stride: number; pad: number }[];
  engines: readonly Engine[];
  warmup: number;
  runs: number;
}

export interface KernelResult {
  kernel: 'matmul' | 'conv2d';
  shape: string;
  engine: Engine;
  medianMs: number;
  gflops: number;
}

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isSoftware: boolean;
  [extra: string]: unknown;
}

export interface BenchReport {
  adapter: AdapterReport;
  date: string;
  results: ModelResult[];
  training: TrainingResult[];
  kernels: KernelResult[];
}

export function summarize(times: readonly number[]): { median: number; min: number; max: number } {
  if (times.length === 0) throw new Error('summarize: no timings');
  const s = [...times].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1] };
}

/** latest.json: exactly the issue's fields per result and per training row. */
export function toJson(r: BenchReport): string {
  const round = (v: number | null, d = 3) => (v === null ? null : Number(v.toPrecision(6)) === 0 ? 0 : Number(v.toFixed(d)));
  const out = {
    adapter: r.adapter,
    date: r.date,
    results: r.results.map((x) => ({
      model: x.model, input: x.input, batch: x.batch, engine: x.engine,
      medianMs: round(x.medianMs), minMs: round(x.minMs), maxMs: round(x.maxMs), firstRunMs: round(x.firstRunMs),
      maxAbsDiff: x.maxAbsDiff === null ? null : Number(x.maxAbsDiff.toPrecision(3)),
    })),
    training: r.training.map((t) => ({ model: t.model, engine: t.engine, batch: t.batch, imagesPerSec: round(t.imagesPerSec, 1) })),
    kernels: r.kernels.map((k) => ({ ...k, medianMs: round(k.medianMs), gflops: round(k.gflops) })),
  };
  return `${JSON.stringify(out, null, 1)}\n`;
}

interface Row {
  model: string;
  input: string;
  batch: number;
  byEngine: Map<Engine, ModelResult>;
}

function rows(results: readonly ModelResult[]): Row[] {
  const out: Row[] = [];
  for (const r of results) {
    const input = r.input.slice(1).join('×');
    let row = out.find((x) => x.model === r.model && x.batch === r.batch && x.input === input);
    if (!row) out.push((row = { model: r.model, input, batch: r.batch, byEngine: new Map() }));
    row.byEngine.set(r.engine, r);
  }
  return out;
}

/** webcnn's median over the faster WebGPU peer's, with that peer's name (null when either is missing). */
export function ratioToBestPeer(byEngine: ReadonlyMap<Engine, ModelResult>): { ratio: number; peer: Engine } | null {
  const own = byEngine.get('webcnn')?.medianMs;
  if (own === null || own === undefined) return null;
  let best: { ms: number; peer: Engine } | null = null;
  for (const p of WEBGPU_PEERS) {
    const ms = byEngine.get(p)?.medianMs;
    if (ms !== null && ms !== undefined && (!best || ms < best.ms)) best = { ms, peer: p };
  }
  return best ? { ratio: own / best.ms, peer: best.peer } : null;
}

/** webcnn-wasm's median over ort-wasm's, on the same thread count (null when either is missing); the target is ≤ 1. */
export function ratioToOrtWasm(byEngine: ReadonlyMap<Engine, ModelResult>): number | null {
  const own = byEngine.get('webcnn-wasm')?.medianMs;
  const peer = byEngine.get('ort-wasm')?.medianMs;
  return own === null || own === undefined || peer === null || peer === undefined ? null : own / peer;
}

/** A webcnn engine's training images/s over its peer's (webcnn ÷ tfjs-webgpu, webcnn-wasm ÷ tfjs-cpu), or null. */
export function trainingRatio(training: readonly TrainingResult[], t: TrainingResult): { ratio: number; peer: TrainingResult } | null {
  const peerName = TRAINING_PEERS.get(t.engine);
  if (peerName === undefined || !t.imagesPerSec) return null;
  const peer = training.find((x) => x.model === t.model && x.batch === t.batch && x.engine === peerName && x.imagesPerSec);
  return peer ? { ratio: t.imagesPerSec / peer.imagesPerSec!, peer } : null;
}

const ms = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const sci = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v === 0 ? '0' : v.toExponential(1));

const adapterLine = (r: BenchReport) => {
  const a = r.adapter;
  return `${a.vendor} ${a.architecture}${a.description ? ` (${a.description})` : ''}${a.isSoftware ? ', software' : ''}`;
};

/**
 * The CPU engines' thread count, as the runner records it in the adapter report: the count asked
 * of every engine (`--threads`, else the page's `navigator.hardwareConcurrency`) and the count
 * each engine reports using (null: not started, or it does not say). Null for runs without it.
 */
export function threadsLine(adapter: AdapterReport): string | null {
  const asked = adapter.cpuThreads;
  if (typeof asked !== 'number') return null;
  const used = (adapter.cpuThreadsUsed ?? {}) as Partial<Record<Engine, number | null>>;
  const each = CPU_ENGINES.map((e) => `${e} ${used[e] ?? '—'}`).join(', ');
  return `CPU engines: ${asked} thread${asked === 1 ? '' : 's'} asked of each; used: ${each}`;
}

/** latest.md: the adapter, the notes, then the tables. */
export function toMarkdown(r: BenchReport, notes: readonly string[] = []): string {
  return [`Adapter: ${adapterLine(r)} · ${r.date}`, ...notes, '', markdownTables(r)].join('\n');
}

/** The engines' names in a column heading: "webcnn / tfjs / ort-webgpu". */
const heading = (engines: readonly Engine[]) => engines.map((e) => (e === 'tfjs-webgpu' ? 'tfjs' : e)).join(' / ');

/** The WebGPU latency table, the CPU (WebAssembly) one, training, kernels, and the failures. */
function markdownTables(r: BenchReport): string {
  const lines: string[] = [];
  const all = rows(r.results);
  const peers = WEBGPU_ENGINES.filter((e) => e !== 'webcnn');
  const gpuRows = all.filter((row) => WEBGPU_ENGINES.some((e) => row.byEngine.has(e)));
  if (gpuRows.length > 0) {
    lines.push(
      `| model | input | batch | ${WEBGPU_ENGINES.map((e) => `${e} ms`).join(' | ')} | webcnn ÷ best WebGPU peer | first run ms (${heading(WEBGPU_ENGINES)}) | max \\|Δ\\| from webcnn (${heading(peers)}) | webcnn max \\|Δ\\| from PyTorch |`,
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const row of gpuRows) {
      const e = (n: Engine) => row.byEngine.get(n);
      const cell = (n: Engine) => (e(n)?.error ? 'failed' : ms(e(n)?.medianMs));
      const ratio = ratioToBestPeer(row.byEngine);
      lines.push(
        `| ${row.model} | ${row.input} | ${row.batch} | ${WEBGPU_ENGINES.map(cell).join(' | ')} | ${ratio ? `${ratio.ratio.toFixed(2)}× (${ratio.peer})` : '—'} | ${WEBGPU_ENGINES.map((n) => ms(e(n)?.firstRunMs)).join(' / ')} | ${peers.map((n) => sci(e(n)?.maxAbsDiff)).join(' / ')} | ${sci(e('webcnn')?.vsTorch)} |`,
      );
    }
  }
  const cpuRows = all.filter((row) => CPU_ENGINES.some((e) => row.byEngine.has(e)));
  if (cpuRows.length > 0) {
    lines.push(
      ...(lines.length > 0 ? [''] : []),
      `| model | input | batch | ${CPU_ENGINES.map((e) => `${e} ms`).join(' | ')} | webcnn-wasm ÷ ort-wasm | first run ms (${heading(CPU_ENGINES)}) | max \\|Δ\\| from webcnn (${heading(CPU_ENGINES)}) | webcnn-wasm max \\|Δ\\| from PyTorch |`,
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const row of cpuRows) {
      const e = (n: Engine) => row.byEngine.get(n);
      const cell = (n: Engine) => (e(n)?.error ? 'failed' : ms(e(n)?.medianMs));
      const ratio = ratioToOrtWasm(row.byEngine);
      lines.push(
        `| ${row.model} | ${row.input} | ${row.batch} | ${CPU_ENGINES.map(cell).join(' | ')} | ${ratio === null ? '—' : `${ratio.toFixed(2)}×`} | ${CPU_ENGINES.map((n) => ms(e(n)?.firstRunMs)).join(' / ')} | ${CPU_ENGINES.map((n) => sci(e(n)?.maxAbsDiff)).join(' / ')} | ${sci(e('webcnn-wasm')?.vsTorch)} |`,
      );
    }
  }
  if (r.training.length > 0) {
    lines.push(...(lines.length > 0 ? [''] : []), '| training | batch | engine | images/s | webcnn ÷ peer |', '|---|---:|---|---:|---:|');
    for (const t of r.training) {
      const ratio = trainingRatio(r.training, t);
      lines.push(`| ${t.model} | ${t.batch} | ${t.engine} | ${t.error ? 'failed' : (t.imagesPerSec ?? 0).toFixed(1)} | ${ratio ? `${ratio.ratio.toFixed(1)}× (${ratio.peer.engine})` : '—'} |`);
    }
  }
  if (r.kernels.length > 0) {
    lines.push('', '| kernel | shape | engine | ms | GFLOP/s |', '|---|---|---|---:|---:|');
    for (const k of r.kernels) lines.push(`| ${k.kernel} | ${k.shape} | ${k.engine} | ${ms(k.medianMs)} | ${k.gflops.toFixed(2)} |`);
  }
  const fromOnnx = rows(r.results).filter((row) => WEBCNN_ENGINES.some((e) => row.byEngine.get(e)?.webcnnFrom === 'onnx')).map((row) => `${row.model} batch ${row.batch}`);
  if (fromOnnx.length > 0) {
    lines.push('', `webcnn ran ${fromOnnx.join(', ')} from the ONNX export through \`loadOnnx\` (no zoo model; tfjs runs the graph it imports); every other model from its zoo, with the exported weights loaded by name.`);
  }
  const failures = [...r.results, ...r.training].filter((x) => x.error);
  if (failures.length > 0) {
    lines.push('', 'Failures:');
    // One line per model, engine and message (an engine that cannot start fails every batch alike).
    for (const line of new Set(failures.map((f) => `- ${f.model} ${f.engine}: ${f.error}`))) lines.push(line);
  }
  return `${lines.join('\n')}\n`;
}

/** Each model's slowest layers in webcnn (GPU time), for naming the hot spots. */
export function hotSpots(results: readonly ModelResult[], top = 3): { model: string; batch: number; totalMs: number; layers: LayerTime[] }[] {
  return results
    .filter((r) => r.engine === 'webcnn' && r.profile && r.profile.length > 0)
    .map((r) => {
      const total = r.profile!.reduce((s, l) => s + l.ms, 0);
      return { model: r.model, batch: r.batch, totalMs: total, layers: [...r.profile!].sort((a, b) => b.ms - a.ms).slice(0, top) };
    });
}

/** The parts of latest-details.json that the results section of docs/benchmarks.md shows. */
export interface BenchDetails {
  minutes?: number;
  vsTorch?: readonly { model: string; batch: number; engine: Engine; maxAbsDiff: number | null; webcnnFrom?: 'zoo' | 'onnx' }[];
  hotSpots?: readonly { model: string; batch: number; totalMs: number; layers: readonly LayerTime[] }[];
}

export const DOCS_RESULTS_START = '<!-- bench:results:start -->';
export const DOCS_RESULTS_END = '<!-- bench:results:end -->';

/**
 * The results section of docs/benchmarks.md (what goes between the markers), made from
 * latest.json and latest-details.json as committed: the run's adapter, host and protocol, the
 * tables of latest.md, the chart, a summary of the ratios, and webcnn's slowest layers.
 */
export function benchmarkResultsSection(r: BenchReport, details: BenchDetails = {}): string {
  const torch = new Map((details.vsTorch ?? []).filter((v) => WEBCNN_ENGINES.includes(v.engine)).map((v) => [`${v.engine} ${v.model} ${v.batch}`, v]));
  const results = r.results.map((x) => {
    const d = torch.get(`${x.engine} ${x.model} ${x.batch}`);
    if (d === undefined) return x;
    return { ...x, ...(d.maxAbsDiff === null ? {} : { vsTorch: d.maxAbsDiff }), ...(d.webcnnFrom ? { webcnnFrom: d.webcnnFrom } : {}) };
  });
  const host = r.adapter.host as { cpus?: number; cpuModel?: string; loadAverageAtStart?: number[]; loadAverageAtEnd?: number[]; note?: string } | undefined;
  const browser = /(?:Headless)?Chrome\/(\d+)/.exec(String(r.adapter.userAgent ?? ''))?.[1];
  const hostParts = [
    host?.cpus ? `${host.cpus} CPU cores${host.cpuModel ? ` (${host.cpuModel})` : ''}` : null,
    browser ? `Chromium ${browser}` : null,
    host?.loadAverageAtStart && host.loadAverageAtEnd ? `load average ${host.loadAverageAtStart[0].toFixed(1)} at start, ${host.loadAverageAtEnd[0].toFixed(1)} at end` : null,
    host?.note || null,
  ].filter((x): x is string => x !== null);
  const lines = [
    `- Adapter: ${adapterLine(r)}; run finished ${r.date}${r.adapter.complete === false ? ' (incomplete run)' : ''}.`,
    ...(hostParts.length > 0 ? [`- Host: ${hostParts.join('; ')}.`] : []),
    ...(typeof r.adapter.protocol === 'string' ? [`- Protocol: ${r.adapter.protocol}.`] : []),
    ...(threadsLine(r.adapter) ? [`- ${threadsLine(r.adapter)}.`] : []),
    ...(details.minutes !== undefined ? [`- Whole run: ${details.minutes.toFixed(1)} min.`] : []),
    '',
    markdownTables({ ...r, results }).trimEnd(),
    '',
    '![Median latency per model and engine](../bench/results/latest.svg)',
  ];

  const summary: string[] = [];
  const ratios = rows(r.results)
    .map((row) => ({ row, ratio: ratioToBestPeer(row.byEngine) }))
    .filter((x): x is { row: Row; ratio: { ratio: number; peer: Engine } } => x.ratio !== null)
    .sort((a, b) => a.ratio.ratio - b.ratio.ratio);
  const label = (row: { model: string; batch: number }) => `${row.model} batch ${row.batch}`;
  if (ratios.length > 0) {
    const lo = ratios[0];
    const hi = ratios[ratios.length - 1];
    summary.push(`- Latency, webcnn ÷ the faster WebGPU peer: ${lo.ratio.ratio.toFixed(2)}× (${label(lo.row)}) to ${hi.ratio.ratio.toFixed(2)}× (${label(hi.row)}).`);
  }
  const cpuRatios = rows(r.results)
    .map((row) => ({ row, ratio: ratioToOrtWasm(row.byEngine) }))
    .filter((x): x is { row: Row; ratio: number } => x.ratio !== null)
    .sort((a, b) => a.ratio - b.ratio);
  if (cpuRatios.length > 0) {
    const lo = cpuRatios[0];
    const hi = cpuRatios[cpuRatios.length - 1];
    const met = cpuRatios.filter((x) => x.ratio <= 1).length;
    summary.push(`- Latency on the CPU, webcnn-wasm ÷ ort-wasm (target ≤ 1.0×): ${lo.ratio.toFixed(2)}× (${label(lo.row)}) to ${hi.ratio.toFixed(2)}× (${label(hi.row)}); at or below 1.0× on ${met} of ${cpuRatios.length}.`);
  }
  for (const t of r.training) {
    const ratio = trainingRatio(r.training, t);
    if (ratio === null) continue;
    const peer = `${ratio.ratio.toFixed(1)}× ${ratio.peer.engine}'s ${ratio.peer.imagesPerSec!.toFixed(1)}`;
    summary.push(t.engine === 'webcnn'
      ? `- Training ${t.model} at batch ${t.batch}: ${t.imagesPerSec!.toFixed(1)} images/s, ${peer}.`
      : `- Training ${t.model} at batch ${t.batch} on the CPU: ${t.engine} ${t.imagesPerSec!.toFixed(1)} images/s, ${peer} (target ≥ 2×).`);
  }
  const slower: string[] = [];
  let firstRuns = 0;
  for (const { row } of ratios) {
    const own = row.byEngine.get('webcnn')?.firstRunMs;
    const peers = WEBGPU_PEERS.map((p) => row.byEngine.get(p)).filter((x): x is ModelResult => !!x && !x.error && x.firstRunMs !== null);
    if (own === null || own === undefined || peers.length === 0) continue;
    firstRuns++;
    const best = peers.reduce((a, b) => (b.firstRunMs! < a.firstRunMs! ? b : a));
    if (own > best.firstRunMs!) slower.push(`${label(row)} (${ms(own)} vs ${best.engine}'s ${ms(best.firstRunMs)} ms)`);
  }
  if (firstRuns > 0) {
    summary.push(slower.length === 0
      ? `- First run: webcnn at or below the faster WebGPU peer on every model.`
      : `- First run: webcnn at or below the faster WebGPU peer on ${firstRuns - slower.length} of ${firstRuns}; above it on ${slower.join(', ')}.`);
  }
  if (summary.length > 0) lines.push('', ...summary);

  const spots = details.hotSpots ?? [];
  if (spots.length > 0) {
    lines.push('', "webcnn's slowest layers (GPU time per layer, `model.profile()`):", '', '| model | batch | total ms | slowest layers (ms) |', '|---|---:|---:|---|');
    for (const s of spots) lines.push(`| ${s.model} | ${s.batch} | ${ms(s.totalMs)} | ${s.layers.map((l) => `${l.name} ${ms(l.ms)}`).join(', ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** `doc` with the text between the results markers replaced by `section`. */
export function replaceBenchmarkResults(doc: string, section: string): string {
  const start = doc.indexOf(DOCS_RESULTS_START);
  const end = doc.indexOf(DOCS_RESULTS_END);
  if (start < 0 || end < start) throw new Error(`docs/benchmarks.md needs the markers ${DOCS_RESULTS_START} and ${DOCS_RESULTS_END}, in that order`);
  return `${doc.slice(0, start + DOCS_RESULTS_START.length)}\n${section}${doc.slice(end)}`;
}

/** The text between the results markers, or null without them. */
export function benchmarkResultsIn(doc: string): string | null {
  const start = doc.indexOf(DOCS_RESULTS_START);
  const end = doc.indexOf(DOCS_RESULTS_END);
  if (start < 0 || end < start) return null;
  return doc.slice(start + DOCS_RESULTS_START.length + 1, end);
}

const COLORS: Record<Engine, string> = {
  webcnn: '#d62728', 'tfjs-webgpu': '#ff7f0e', 'ort-webgpu': '#1f77b4',
  'webcnn-wasm': '#ff9896', 'ort-wasm': '#7f7f7f', 'tfjs-wasm': '#ffbb78', 'tfjs-cpu': '#bcbd22',
};
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A grouped horizontal bar chart of median latency per model and engine (those of the run), on a log scale. */
export function toSvg(r: BenchReport): string {
  const data = rows(r.results);
  const engines = ENGINES.filter((e) => r.results.some((x) => x.engine === e));
  const barH = 9;
  const groupH = engines.length * barH + 12;
  const left = 170;
  const width = 760;
  const plotW = width - left - 70;
  const top = 40;
  const height = top + data.length * groupH + 40;
  const all = r.results.map((x) => x.medianMs).filter((v): v is number => v !== null && v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all, 1))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all, 10))));
  const x = (v: number) => left + (plotW * (Math.log10(v) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="16" font-size="13" font-weight="bold">Median latency (ms, log scale; lower is better): ${esc(`${r.adapter.vendor} ${r.adapter.architecture}`)}, ${esc(r.date.slice(0, 10))}</text>`,
  ];
  const step = Math.min(130, Math.floor((width - left) / Math.max(1, engines.length)));
  engines.forEach((e, i) => {
    out.push(`<rect x="${left + i * step}" y="24" width="10" height="10" fill="${COLORS[e]}"/><text x="${left + i * step + 14}" y="33">${e}</text>`);
  });
  for (let d = lo; d <= hi; d *= 10) {
    out.push(`<line x1="${x(d)}" x2="${x(d)}" y1="${top}" y2="${height - 30}" stroke="#ddd"/><text x="${x(d)}" y="${height - 16}" text-anchor="middle">${d >= 1 ? d : d.toPrecision(1)}</text>`);
  }
  data.forEach((row, g) => {
    const y0 = top + g * groupH;
    out.push(`<text x="${left - 6}" y="${y0 + groupH / 2}" text-anchor="end">${esc(`${row.model} ${row.input} b${row.batch}`)}</text>`);
    engines.forEach((e, i) => {
      const v = row.byEngine.get(e)?.medianMs;
      if (v === null || v === undefined || v <= 0) return;
      const y = y0 + 4 + i * barH;
      out.push(`<rect x="${left}" y="${y}" width="${Math.max(1, x(v) - left).toFixed(1)}" height="${barH - 1}" fill="${COLORS[e]}"/><text x="${(x(v) + 3).toFixed(1)}" y="${y + barH - 2}" font-size="9">${ms(v)}</text>`);
    });
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
