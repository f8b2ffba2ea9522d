/**
 * `npm run bench`: webcnn on WebGPU against tfjs-webgpu and onnxruntime-web (WebGPU), and webcnn
 * on its WebAssembly backend against onnxruntime-web (WASM) and tfjs-wasm on the same thread
 * count, in one headless Chromium page, on the same models with the same weights.
 *
 *   npm run bench                          # every model at the small inputs below, training, kernels
 *   npm run bench -- --model resnet18      # one model (repeatable); writes bench/results/partial/
 *   npm run bench -- --full                # 224×224 and the 4096-wide classifiers (real GPUs)
 *   npm run bench -- --gpu                 # the hardware adapter; refuses a software one; bench/results/<adapter>/
 *   npm run bench -- --runs 10 --warmup 2 --no-training --no-kernels
 *   npm run bench -- --model lenet5 --no-models --no-kernels   # LeNet-5 training only
 *   npm run bench -- --engines webcnn-wasm,ort-wasm,tfjs-wasm,tfjs-cpu --threads 1   # the CPU engines alone, one thread
 *   npx vite-node bench/run.ts --docs      # only rewrite docs/benchmarks.md from bench/results/
 *
 * Steps: PyTorch builds every model with seeded weights and exports ONNX + safetensors + a
 * reference output into bench/.cache/ (bench/export_models.py, once; no network); Vite serves
 * bench/browser/ on localhost (a secure context, cross-origin isolated so the WebAssembly engines
 * can use threads); Debian's Chromium runs the page; the results go to bench/results/latest.{json,md,svg}
 * and latest-details.json (per-layer times, differences from PyTorch, the configuration); a run
 * into bench/results/ also rewrites the results section of docs/benchmarks.md from them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { chromium } from 'playwright-core';
import {
  type BenchReport, type BenchDetails, type Engine, type KernelCase, type ModelCase, type ModelResult, type TrainingCase, type TrainingResult, type KernelResult,
  ALL_ENGINES, ENGINES, KERNEL_ENGINES, TRAINING_ENGINES, WEBCNN_ENGINES, hotSpots, ratioToBestPeer, ratioToOrtWasm, threadsLine, toJson, toMarkdown, toSvg,
  benchmarkResultsSection, replaceBenchmarkResults,
} from './report.js';
import type { BenchApi } from './browser/page.js';
import { GPU_CHROMIUM_ARGS, adapterSlug, nodeAdapter, refuseSoftware } from './gpu.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cache = `${root}bench/.cache`;

interface Suite {
  model: string;
  size: number;
  fullSize: number;
  channels: number;
  batches: number[];
  /** AlexNet/VGG hidden width: the 4096 of the papers needs > 128 MiB storage buffers. */
  hidden?: number;
}

/** The small inputs keep the whole run under 20 minutes on SwiftShader (2 CPU cores). */
const SUITE: Suite[] = [
  { model: 'lenet5', size: 32, fullSize: 32, channels: 1, batches: [1, 64] },
  { model: 'lenet', size: 28, fullSize: 28, channels: 1, batches: [1, 64] },
  { model: 'alexnet', size: 96, fullSize: 224, channels: 3, batches: [1], hidden: 1024 },
  { model: 'vgg16', size: 32, fullSize: 224, channels: 3, batches: [1], hidden: 512 },
  { model: 'googlenet', size: 64, fullSize: 224, channels: 3, batches: [1] },
  { model: 'resnet18', size: 64, fullSize: 224, channels: 3, batches: [1] },
  { model: 'resnet50', size: 64, fullSize: 224, channels: 3, batches: [1] },
  { model: 'mobilenet_v3_large', size: 64, fullSize: 224, channels: 3, batches: [1] },
  // Not in the zoo: webcnn runs its ONNX export (bench/browser/page.ts).
  { model: 'efficientnet_b0', size: 64, fullSize: 224, channels: 3, batches: [1] },
  // webcnn's zoo defaults (width 16, depth 4, 2 classes); sizes divisible by 2^4.
  { model: 'unet', size: 64, fullSize: 256, channels: 3, batches: [1] },
];

const KERNELS: Omit<KernelCase, 'engines'> = {
  matmul: [128, 256, 512],
  conv: [
    { x: [64, 6, 14, 14], w: [16, 6, 5, 5], stride: 1, pad: 0 },
    { x: [1, 64, 56, 56], w: [64, 64, 3, 3], stride: 1, pad: 1 },
    { x: [1, 256, 14, 14], w: [256, 256, 3, 3], stride: 1, pad: 1 },
    { x: [1, 64, 56, 56], w: [256, 64, 1, 1], stride: 1, pad: 0 },
  ],
  warmup: 1,
  runs: 5,
};

interface Args {
  models: string[];
  full: boolean;
  runs: number;
  warmup: number;
  /** false with --no-models: training and kernels only. */
  inference: boolean;
  training: boolean;
  kernels: boolean;
  engines: Engine[];
  /** --threads: the CPU engines' thread count; default the page's navigator.hardwareConcurrency. */
  threads?: number;
  port: number;
  out?: string;
  /** --docs: only rewrite docs/benchmarks.md from the results already in bench/results/. */
  docsOnly: boolean;
  /** --gpu: the hardware adapter (bench/gpu.ts); results in bench/results/<adapter>/. */
  gpu: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { models: [], inference: true, full: false, runs: 5, warmup: 1, training: true, kernels: true, engines: [...ALL_ENGINES], port: 5391, docsOnly: false, gpu: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) fail(`${flag} needs a value`);
      return v;
    };
    const int = (): number => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < 0) fail(`${flag} needs a non-negative integer`);
      return v;
    };
    switch (flag) {
      case '--model': a.models.push(value()); break;
      case '--full': a.full = true; break;
      case '--runs': a.runs = Math.max(1, int()); break;
      case '--warmup': a.warmup = int(); break;
      case '--no-training': a.training = false; break;
      case '--no-models': a.inference = false; break;
      case '--no-kernels': a.kernels = false; break;
      case '--port': a.port = int(); break;
      case '--threads': a.threads = int(); if (a.threads < 1) fail('--threads needs at least 1'); break;
      case '--out': a.out = value(); break;
      case '--docs': a.docsOnly = true; break;
      case '--gpu': a.gpu = true; break;
      case '--engines': {
        const list = value().split(',');
        const bad = list.filter((e) => !ALL_ENGINES.includes(e as Engine));
        if (bad.length > 0 || !WEBCNN_ENGINES.some((e) => list.includes(e))) {
          fail(`--engines takes a comma list of ${ALL_ENGINES.join(', ')} including ${WEBCNN_ENGINES.join(' or ')}${bad.length > 0 ? `; unknown: ${bad.join(', ')}` : ''}`);
        }
        // In the bench's order, so that webcnn's output is there when the peers are compared with it.
        a.engines = ALL_ENGINES.filter((e) => list.includes(e));
        break;
      }
      default: fail(`unknown option ${flag}`);
    }
  }
  const unknown = a.models.filter((m) => !SUITE.some((s) => s.model === m));
  if (unknown.length > 0) fail(`unknown model ${unknown.join(', ')}; the suite has ${SUITE.map((s) => s.model).join(', ')}`);
  return a;
}

function fail(msg: string): never {
  console.error(`bench: ${msg}`);
  process.exit(2);
}

const keyOf = (s: Suite, size: number, hidden: number | undefined) => `${s.model}-${size}${hidden ? `-h${hidden}` : ''}`;

const RESULTS = `${root}bench/results`;

/** Rewrites the results section of docs/benchmarks.md from bench/results/, as test/bench_report.test.ts checks it. */
function writeBenchmarksDoc(): void {
  const doc = `${root}docs/benchmarks.md`;
  const section = benchmarkResultsSection(
    JSON.parse(readFileSync(`${RESULTS}/latest.json`, 'utf8')) as BenchReport,
    JSON.parse(readFileSync(`${RESULTS}/latest-details.json`, 'utf8')) as BenchDetails,
  );
  writeFileSync(doc, replaceBenchmarkResults(readFileSync(doc, 'utf8'), section));
  console.log(`bench: updated the results in ${doc}`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.docsOnly) {
    writeBenchmarksDoc();
    return;
  }
  const suite = SUITE.filter((s) => args.models.length === 0 || args.models.includes(s.model));
  const partial = args.models.length > 0;
  let outDir = args.out ?? `${root}bench/results${partial ? '/partial' : ''}`;
  if (args.gpu) {
    const node = await nodeAdapter();
    console.log(`bench: --gpu: Node's adapter (Dawn) ${JSON.stringify(node)}`);
    const refused = 'error' in node ? `--gpu: Node has no WebGPU adapter (${node.error})` : refuseSoftware(node, 'Node (Dawn)');
    if (refused) fail(refused);
  }
  const cases: ModelCase[] = suite.filter(() => args.inference).flatMap((s) => {
    const size = args.full ? s.fullSize : s.size;
    const hidden = s.hidden ? (args.full ? 4096 : s.hidden) : undefined;
    return s.batches.map((batch) => ({
      model: s.model, key: keyOf(s, size, hidden), size, channels: s.channels, batch, classifierHidden: hidden,
      engines: args.engines.filter((e) => ENGINES.includes(e)), warmup: args.warmup, runs: args.runs,
    }));
  });
  const lenet5 = SUITE[0];
  const lenet = SUITE[1];
  const trainingCases: TrainingCase[] = args.training && (!partial || args.models.some((m) => m === 'lenet5' || m === 'lenet'))
    ? [lenet5, lenet].filter((s) => !partial || args.models.includes(s.model)).map((s) => ({
      model: s.model, key: keyOf(s, s.size, undefined), size: s.size, channels: s.channels, batch: 64, steps: 8, lr: 0.01, momentum: 0.9,
      engines: args.engines.filter((e) => TRAINING_ENGINES.includes(e)),
    }))
    : [];

  // 1. Models and weights (cached; PyTorch on the CPU).
  const specs = [...new Map(cases.map((c) => [c.key, c])).values()].map((c) => {
    const batches = cases.filter((x) => x.key === c.key).map((x) => x.batch).join(',');
    return `${c.model}:${c.size}:${batches}${c.classifierHidden ? `:${c.classifierHidden}` : ''}`;
  });
  for (const t of trainingCases) if (!cases.some((c) => c.key === t.key)) specs.push(`${t.model}:${t.size}:1`);
  console.log(`bench: exporting ${specs.join(' ')} (cached in bench/.cache/)`);
  const py = spawnSync(process.env.BENCH_PYTHON ?? '/usr/bin/python3', [`${root}bench/export_models.py`, '--cache', cache, '--spec', ...specs], { stdio: 'inherit' });
  if (py.status !== 0) fail(`bench/export_models.py failed (exit ${py.status ?? py.signal}); it needs Debian's python3-torch, python3-torchvision and python3-onnx`);

  // 2. The page, served by Vite with the project's config (the `webcnn` alias).
  const server = await createServer({
    root,
    configFile: `${root}vite.config.ts`,
    logLevel: 'info',
    server: {
      port: args.port,
      strictPort: true,
      hmr: false,
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
      watch: { ignored: ['**/bench/.cache/**', '**/bench/results/**', '**/node_modules/**'] },
    },
    // Pre-bundled up front: a dependency discovered mid-run would make Vite reload the page.
    optimizeDeps: {
      include: [
        '@tensorflow/tfjs-core', '@tensorflow/tfjs-core/dist/register_all_gradients', '@tensorflow/tfjs-backend-webgpu',
        '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu', 'onnxruntime-web/webgpu',
      ],
    },
  });
  await server.listen();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', ...(args.gpu ? GPU_CHROMIUM_ARGS : ['--enable-unsafe-webgpu', '--enable-features=Vulkan']), '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const loadStart = loadavg();
  const t0 = performance.now();
  try {
    const page = await browser.newPage();
    page.on('console', (m) => console.log(`  [page] ${m.text()}`));
    page.on('pageerror', (e) => console.error(`  [page error] ${e.message}`));
    await page.goto(`http://localhost:${args.port}/bench/browser/index.html`, { timeout: 300_000 });
    await page.waitForFunction(() => window.__bench !== undefined, undefined, { timeout: 120_000 });
    const call = <T,>(fn: keyof BenchApi, arg?: unknown): Promise<T> =>
      page.evaluate(([f, a]) => (window.__bench![f as keyof BenchApi] as (x: unknown) => Promise<unknown>)(a), [fn, arg] as const) as Promise<T>;

    const adapter = await call<BenchReport['adapter']>('adapter', { threads: args.threads });
    console.log(`bench: adapter ${JSON.stringify(adapter)}`);
    if (args.gpu) {
      const refused = refuseSoftware(adapter, 'Chromium');
      if (refused) fail(refused);
      if (!args.out) outDir = `${root}bench/results/${adapterSlug(adapter)}${partial ? '/partial' : ''}`;
      console.log(`bench: --gpu: results go to ${outDir}`);
    }
    console.log(`bench: CPU engines (${args.engines.filter((e) => e.endsWith('-wasm')).join(', ')}) on ${String(adapter.cpuThreads)} thread(s) each${args.threads === undefined ? ' (navigator.hardwareConcurrency; --threads N to choose)' : ' (--threads)'}`);
    let threadsUsed = await call<Record<string, number | null>>('threadsUsed');
    const results: ModelResult[] = [];
    const training: TrainingResult[] = [];
    let kernels: KernelResult[] = [];
    mkdirSync(outDir, { recursive: true });

    // Written after every case, so that an interrupted run still leaves what it measured.
    const write = (done: boolean) => {
      const loadEnd = loadavg();
      const minutes = (performance.now() - t0) / 60_000;
      const report: BenchReport = {
        adapter: {
          ...adapter,
          host: {
            cpus: cpus().length,
            cpuModel: cpus()[0]?.model ?? 'unknown',
            loadAverageAtStart: loadStart.map((v) => Number(v.toFixed(2))),
            loadAverageAtEnd: loadEnd.map((v) => Number(v.toFixed(2))),
            note: process.env.BENCH_NOTE ?? '',
          },
          cpuThreadsUsed: threadsUsed,
          inputs: Object.fromEntries(cases.map((c) => [`${c.model} b${c.batch}`, `${c.channels}×${c.size}×${c.size}${c.classifierHidden ? `, classifier ${c.classifierHidden}` : ''}`])),
          protocol: `${args.warmup} warm-up + ${args.runs} timed runs per engine; host Float32Array in → host Float32Array out; firstRunMs = model/session build + first run`,
          complete: done,
        },
        date: new Date().toISOString(),
        results,
        training,
        kernels,
      };
      const notes = [
        `Host: ${cpus().length} CPU cores (${cpus()[0]?.model ?? '?'}), load average ${loadStart[0].toFixed(1)} at start, ${loadEnd[0].toFixed(1)} at end${process.env.BENCH_NOTE ? `; ${process.env.BENCH_NOTE}` : ''}. ${done ? 'Whole run' : 'Incomplete run, so far'}: ${minutes.toFixed(1)} min.`,
        `Protocol: ${report.adapter.protocol as string}.`,
        ...(threadsLine(report.adapter) ? [`${threadsLine(report.adapter)}.`] : []),
      ];
      writeFileSync(`${outDir}/latest.json`, toJson(report));
      writeFileSync(`${outDir}/latest.md`, toMarkdown(report, notes));
      writeFileSync(`${outDir}/latest.svg`, toSvg(report));
      writeFileSync(`${outDir}/latest-details.json`, `${JSON.stringify({
        date: report.date, minutes, complete: done, args, cases, trainingCases, kernelCases: args.kernels ? KERNELS : null,
        exported: [...new Set(cases.map((c) => c.key))].map((k) => JSON.parse(readFileSync(`${cache}/${k}.json`, 'utf8')) as unknown),
        vsTorch: results.map((r) => ({ model: r.model, batch: r.batch, engine: r.engine, maxAbsDiff: r.vsTorch ?? null, error: r.error ?? null, ...(r.webcnnFrom ? { webcnnFrom: r.webcnnFrom } : {}) })),
        hotSpots: hotSpots(results),
        training,
        profiles: results.filter((r) => r.profile).map((r) => ({ model: r.model, batch: r.batch, source: r.profileSource, layers: r.profile })),
      }, null, 1)}\n`);
      return { report, notes, minutes };
    };

    // LeNets first, then their training, then the big models, then the kernels.
    const small = cases.filter((c) => c.model === 'lenet5' || c.model === 'lenet');
    const kernelEngines = args.engines.filter((e) => KERNEL_ENGINES.includes(e));
    for (const c of small) {
      results.push(...(await call<ModelResult[]>('model', c)));
      threadsUsed = await call('threadsUsed');
      write(false);
    }
    for (const t of trainingCases) {
      training.push(...(await call<TrainingResult[]>('training', t)));
      threadsUsed = await call('threadsUsed');
      write(false);
    }
    for (const c of cases.filter((x) => !small.includes(x))) {
      results.push(...(await call<ModelResult[]>('model', c)));
      threadsUsed = await call('threadsUsed');
      write(false);
    }
    if (args.kernels) kernels = await call<KernelResult[]>('kernels', { ...KERNELS, engines: kernelEngines } satisfies KernelCase);
    threadsUsed = await call('threadsUsed');
    const { report, notes, minutes } = write(true);
    const spots = hotSpots(results);
    console.log(`\n${toMarkdown(report, notes)}`);
    for (const c of cases) {
      const byEngine = new Map(results.filter((r) => r.model === c.model && r.batch === c.batch).map((r) => [r.engine, r]));
      const ratio = ratioToBestPeer(byEngine);
      if (ratio) console.log(`bench: ${c.model} b${c.batch}: webcnn ${ratio.ratio.toFixed(2)}× ${ratio.peer}`);
      const cpu = ratioToOrtWasm(byEngine);
      if (cpu !== null) console.log(`bench: ${c.model} b${c.batch}: webcnn-wasm ${cpu.toFixed(2)}× ort-wasm`);
    }
    for (const s of spots) console.log(`bench: ${s.model} b${s.batch} hot spots: ${s.layers.map((l) => `${l.name} ${l.ms.toFixed(1)} ms`).join(', ')} of ${s.totalMs.toFixed(1)} ms`);
    console.log(`bench: wrote ${outDir}/latest.{json,md,svg} and latest-details.json in ${minutes.toFixed(1)} min`);
    if (outDir === RESULTS) writeBenchmarksDoc();
  } finally {
    await browser.close();
    await server.close();
  }
  if (!existsSync(`${outDir}/latest.json`)) process.exit(1);
}

main().catch((e: unknown) => {
  console.error(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
