// The benchmark harness's pure parts (bench/report.ts): statistics, the ratio to the best
// WebGPU peer and webcnn-wasm's to ort-wasm, latest.json's exact fields, the WebGPU and CPU
// markdown tables, training ratios, the SVG chart, and the results section of
// docs/benchmarks.md, which must be what the committed bench/results/ give.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  summarize, ratioToBestPeer, ratioToOrtWasm, trainingRatio, threadsLine, toJson, toMarkdown, toSvg, hotSpots, benchmarkResultsSection, replaceBenchmarkResults, benchmarkResultsIn,
  DOCS_RESULTS_START, DOCS_RESULTS_END, type BenchDetails, type BenchReport, type Engine, type ModelResult, type TrainingResult,
} from '../bench/report.js';

const result = (engine: Engine, medianMs: number | null, extra: Partial<ModelResult> = {}): ModelResult => ({
  model: 'resnet18', input: [1, 3, 64, 64], batch: 1, engine,
  medianMs, minMs: medianMs === null ? null : medianMs * 0.9, maxMs: medianMs === null ? null : medianMs * 1.2,
  firstRunMs: medianMs === null ? null : medianMs * 10, maxAbsDiff: engine === 'webcnn' ? 0 : 1.25e-5, ...extra,
});

const report = (results: ModelResult[]): BenchReport => ({
  adapter: { vendor: 'google', architecture: 'swiftshader', device: '', description: '', isSoftware: true },
  date: '2026-12-01T20:50:00.000Z',
  results,
  training: [
    { model: 'lenet5', engine: 'webcnn', batch: 64, imagesPerSec: 150.04, steps: 8, finalLoss: 3 },
    { model: 'lenet5', engine: 'tfjs-webgpu', batch: 64, imagesPerSec: null, error: 'no gradient' },
  ],
  kernels: [{ kernel: 'matmul', shape: '256x256x256', engine: 'webcnn', medianMs: 80.1234, gflops: 0.41876 }],
});

describe('bench report', () => {
  it('takes the median of odd and even counts, with min and max', () => {
    expect(summarize([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5 });
    expect(summarize([4, 1, 3, 10])).toEqual({ median: 3.5, min: 1, max: 10 });
    expect(() => summarize([])).toThrow(/no timings/);
  });

  it('divides webcnn by the faster WebGPU peer, never by a CPU engine', () => {
    const by = new Map<Engine, ModelResult>([
      ['webcnn', result('webcnn', 300)],
      ['tfjs-webgpu', result('tfjs-webgpu', 600)],
      ['ort-webgpu', result('ort-webgpu', 400)],
      ['webcnn-wasm', result('webcnn-wasm', 20)],
      ['ort-wasm', result('ort-wasm', 50)],
      ['tfjs-wasm', result('tfjs-wasm', 10)],
    ]);
    expect(ratioToBestPeer(by)).toEqual({ ratio: 0.75, peer: 'ort-webgpu' });
    by.set('ort-webgpu', result('ort-webgpu', null, { error: 'failed' }));
    expect(ratioToBestPeer(by)).toEqual({ ratio: 0.5, peer: 'tfjs-webgpu' });
    by.delete('tfjs-webgpu');
    by.delete('ort-webgpu');
    expect(ratioToBestPeer(by)).toBeNull();
  });

  it('divides webcnn-wasm by ort-wasm, and nothing else, on the CPU', () => {
    const by = new Map<Engine, ModelResult>([
      ['webcnn', result('webcnn', 300)],
      ['webcnn-wasm', result('webcnn-wasm', 20)],
      ['ort-wasm', result('ort-wasm', 50)],
      ['tfjs-wasm', result('tfjs-wasm', 10)],
    ]);
    expect(ratioToOrtWasm(by)).toBe(0.4);
    by.set('webcnn-wasm', result('webcnn-wasm', null, { error: 'no wasm backend' }));
    expect(ratioToOrtWasm(by)).toBeNull();
    by.set('webcnn-wasm', result('webcnn-wasm', 20));
    by.delete('ort-wasm');
    expect(ratioToOrtWasm(by)).toBeNull();
  });

  it('divides each webcnn engine\'s training images/s by its peer: webcnn by tfjs-webgpu, webcnn-wasm by tfjs-cpu', () => {
    const training: TrainingResult[] = [
      { model: 'lenet5', engine: 'webcnn', batch: 64, imagesPerSec: 150 },
      { model: 'lenet5', engine: 'tfjs-webgpu', batch: 64, imagesPerSec: 50 },
      { model: 'lenet5', engine: 'webcnn-wasm', batch: 64, imagesPerSec: 600 },
      { model: 'lenet5', engine: 'tfjs-cpu', batch: 64, imagesPerSec: 200 },
      { model: 'lenet', engine: 'webcnn-wasm', batch: 64, imagesPerSec: 500 },
      { model: 'lenet', engine: 'tfjs-cpu', batch: 64, imagesPerSec: null, error: 'boom' },
    ];
    expect(trainingRatio(training, training[0])).toEqual({ ratio: 3, peer: training[1] });
    expect(trainingRatio(training, training[2])).toEqual({ ratio: 3, peer: training[3] });
    expect(trainingRatio(training, training[1])).toBeNull();
    expect(trainingRatio(training, training[4])).toBeNull();
  });

  it('says how many threads the CPU engines were asked for and used, only for runs that record it', () => {
    const adapter = { vendor: 'google', architecture: 'swiftshader', device: '', description: '', isSoftware: true };
    expect(threadsLine(adapter)).toBeNull();
    expect(threadsLine({ ...adapter, cpuThreads: 2, cpuThreadsUsed: { 'ort-wasm': 2, 'tfjs-wasm': 2, 'webcnn-wasm': null } }))
      .toBe('CPU engines: 2 threads asked of each; used: webcnn-wasm —, ort-wasm 2, tfjs-wasm 2');
    expect(threadsLine({ ...adapter, cpuThreads: 1 })).toBe('CPU engines: 1 thread asked of each; used: webcnn-wasm —, ort-wasm —, tfjs-wasm —');
  });

  it('writes latest.json with exactly the issue fields', () => {
    const json = JSON.parse(toJson(report([result('webcnn', 123.45678, { vsTorch: 1e-5, profile: [{ name: 'conv1', ms: 3, dispatches: 1 }] }), result('ort-webgpu', 200)])));
    expect(Object.keys(json)).toEqual(['adapter', 'date', 'results', 'training', 'kernels']);
    expect(Object.keys(json.results[0])).toEqual(['model', 'input', 'batch', 'engine', 'medianMs', 'minMs', 'maxMs', 'firstRunMs', 'maxAbsDiff']);
    expect(json.results[0].medianMs).toBe(123.457);
    expect(json.results[1].maxAbsDiff).toBe(1.25e-5);
    expect(Object.keys(json.training[0])).toEqual(['model', 'engine', 'batch', 'imagesPerSec']);
    expect(json.training[0].imagesPerSec).toBe(150);
    expect(json.training[1].imagesPerSec).toBeNull();
    expect(json.kernels[0]).toEqual({ kernel: 'matmul', shape: '256x256x256', engine: 'webcnn', medianMs: 80.123, gflops: 0.419 });
  });

  it('renders one row per model and batch in the WebGPU table and in the CPU table, with the ratios and the failures', () => {
    const md = toMarkdown(report([
      result('webcnn', 300, { vsTorch: 2e-5 }), result('tfjs-webgpu', 600), result('ort-webgpu', null, { error: 'boom' }),
      result('webcnn-wasm', 40, { firstRunMs: 90, maxAbsDiff: 2.5e-6, vsTorch: 3e-6 }), result('ort-wasm', 50), result('tfjs-wasm', 80, { maxAbsDiff: 4e-5 }),
    ]), ['a note']);
    const rows = md.split('\n').filter((l) => l.startsWith('| resnet18'));
    expect(rows).toHaveLength(2);
    const [gpu, cpu] = rows;
    expect(gpu).toBe('| resnet18 | 3×64×64 | 1 | 300 | 600 | failed | 0.50× (tfjs-webgpu) | 3000 / 6000 / — | 1.3e-5 / 1.3e-5 | 2.0e-5 |');
    expect(cpu).toBe('| resnet18 | 3×64×64 | 1 | 40.0 | 50.0 | 80.0 | 0.80× | 90.0 / 500 / 800 | 2.5e-6 / 1.3e-5 / 4.0e-5 | 3.0e-6 |');
    expect(md.indexOf('| model | input | batch | webcnn ms | tfjs-webgpu ms | ort-webgpu ms | webcnn ÷ best WebGPU peer |')).toBeLessThan(md.indexOf(gpu));
    expect(md.indexOf('| model | input | batch | webcnn-wasm ms | ort-wasm ms | tfjs-wasm ms | webcnn-wasm ÷ ort-wasm |')).toBeLessThan(md.indexOf(cpu));
    expect(md).toContain('a note');
    expect(md).toContain('| lenet5 | 64 | webcnn | 150.0 |');
    expect(md).toContain('- resnet18 ort-webgpu: boom');
    expect(md).toContain('- lenet5 tfjs-webgpu: no gradient');
  });

  it('leaves out a table no engine of the run belongs to, and says an engine\'s failure once per model', () => {
    const gpuOnly = toMarkdown(report([result('webcnn', 300), result('tfjs-webgpu', 600)]));
    expect(gpuOnly).toContain('webcnn ÷ best WebGPU peer');
    expect(gpuOnly).not.toContain('webcnn-wasm ms');
    const failed = { medianMs: null, error: "createEngine: backend must be one of 'auto', 'webgpu', 'cpu', got 'wasm'" };
    const cpuOnly = toMarkdown(report([
      { ...result('webcnn-wasm', null), ...failed }, { ...result('webcnn-wasm', null), ...failed, batch: 64, input: [64, 3, 64, 64] },
      result('ort-wasm', 50), result('tfjs-wasm', 80),
    ]));
    expect(cpuOnly).not.toContain('webcnn ÷ best WebGPU peer');
    expect(cpuOnly).toContain('| resnet18 | 3×64×64 | 1 | failed | 50.0 | 80.0 | — |');
    expect(cpuOnly.split('\n').filter((l) => l.startsWith('- resnet18 webcnn-wasm: createEngine'))).toHaveLength(1);
  });

  it('shows the training peers\' ratios: webcnn ÷ tfjs-webgpu, webcnn-wasm ÷ tfjs-cpu', () => {
    const r = report([result('webcnn', 300)]);
    r.training = [
      { model: 'lenet5', engine: 'webcnn', batch: 64, imagesPerSec: 150 },
      { model: 'lenet5', engine: 'tfjs-webgpu', batch: 64, imagesPerSec: 50 },
      { model: 'lenet5', engine: 'webcnn-wasm', batch: 64, imagesPerSec: 500 },
      { model: 'lenet5', engine: 'tfjs-cpu', batch: 64, imagesPerSec: 200 },
    ];
    const md = toMarkdown(r);
    expect(md).toContain('| lenet5 | 64 | webcnn | 150.0 | 3.0× (tfjs-webgpu) |');
    expect(md).toContain('| lenet5 | 64 | tfjs-webgpu | 50.0 | — |');
    expect(md).toContain('| lenet5 | 64 | webcnn-wasm | 500.0 | 2.5× (tfjs-cpu) |');
    expect(md).toContain('| lenet5 | 64 | tfjs-cpu | 200.0 | — |');
  });

  it('draws one bar per measured engine in a well-formed SVG', () => {
    const svg = toSvg(report([result('webcnn', 300), result('tfjs-webgpu', 600), result('ort-webgpu', null), result('ort-wasm', 50)]));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    // 4 legend swatches + 3 bars (the failed engine has none) + the background.
    expect(svg.match(/<rect /g)).toHaveLength(8);
    expect(svg).toContain('resnet18 3×64×64 b1');
    // Every engine of the run gets a swatch, within the chart's width.
    const all = toSvg(report(['webcnn', 'tfjs-webgpu', 'ort-webgpu', 'webcnn-wasm', 'ort-wasm', 'tfjs-wasm'].map((e) => result(e as Engine, 10))));
    expect(all.match(/<rect /g)).toHaveLength(13);
    const width = Number(/width="(\d+)"/.exec(all)?.[1]);
    const swatches = [...all.matchAll(/<rect x="([\d.]+)" y="24"/g)].map((m) => Number(m[1]));
    expect(swatches).toHaveLength(6);
    expect(Math.max(...swatches) + 80).toBeLessThanOrEqual(width);
  });

  it('writes the results section of docs/benchmarks.md: tables, PyTorch differences from the details, ratios, first runs, hot spots', () => {
    const r = report([
      result('webcnn', 300, { firstRunMs: 5000 }),
      result('tfjs-webgpu', 600, { firstRunMs: 4000 }),
      result('ort-webgpu', null, { error: 'boom' }),
      result('webcnn-wasm', 60),
      result('ort-wasm', 50),
      result('tfjs-wasm', 90),
      { ...result('webcnn', 10), model: 'lenet5', input: [1, 1, 32, 32] },
      { ...result('ort-webgpu', 40), model: 'lenet5', input: [1, 1, 32, 32] },
      { ...result('webcnn-wasm', 0.3), model: 'lenet5', input: [1, 1, 32, 32] },
      { ...result('ort-wasm', 0.4), model: 'lenet5', input: [1, 1, 32, 32] },
    ]);
    r.training[1] = { model: 'lenet5', engine: 'tfjs-webgpu', batch: 64, imagesPerSec: 50 };
    r.training.push({ model: 'lenet5', engine: 'webcnn-wasm', batch: 64, imagesPerSec: 420 }, { model: 'lenet5', engine: 'tfjs-cpu', batch: 64, imagesPerSec: 200 });
    r.adapter.host = { cpus: 2, cpuModel: 'AMD EPYC', loadAverageAtStart: [1.23], loadAverageAtEnd: [0.5], note: 'idle' };
    r.adapter.protocol = '1 warm-up + 5 timed runs';
    r.adapter.userAgent = 'Mozilla/5.0 HeadlessChrome/156.0.0.0 Safari/537.36';
    r.adapter.cpuThreads = 2;
    r.adapter.cpuThreadsUsed = { 'webcnn-wasm': 2, 'ort-wasm': 2, 'tfjs-wasm': 2 };
    const details: BenchDetails = {
      minutes: 9.24,
      vsTorch: [
        { model: 'resnet18', batch: 1, engine: 'webcnn', maxAbsDiff: 3e-6 },
        { model: 'resnet18', batch: 1, engine: 'webcnn-wasm', maxAbsDiff: 4e-6 },
        { model: 'resnet18', batch: 1, engine: 'ort-wasm', maxAbsDiff: 1 },
      ],
      hotSpots: [{ model: 'resnet18', batch: 1, totalMs: 290, layers: [{ name: 'layer4.0.conv1', ms: 40.25, dispatches: 1 }] }],
    };
    const md = benchmarkResultsSection(r, details);
    expect(md).toContain('- Adapter: google swiftshader, software; run finished 2026-12-01T20:50:00.000Z.');
    expect(md).toContain('- Host: 2 CPU cores (AMD EPYC); Chromium 156; load average 1.2 at start, 0.5 at end; idle.');
    expect(md).toContain('- Protocol: 1 warm-up + 5 timed runs.');
    expect(md).toContain('- CPU engines: 2 threads asked of each; used: webcnn-wasm 2, ort-wasm 2, tfjs-wasm 2.');
    expect(md).toContain('- Whole run: 9.2 min.');
    const [row, cpuRow] = md.split('\n').filter((l) => l.startsWith('| resnet18'));
    expect(row).toContain('| 300 | 600 | failed | 0.50× (tfjs-webgpu) |');
    expect(row?.endsWith('| 3.0e-6 |')).toBe(true);
    expect(cpuRow).toContain('| 60.0 | 50.0 | 90.0 | 1.20× |');
    expect(cpuRow?.endsWith('| 4.0e-6 |')).toBe(true);
    expect(md).toContain('![Median latency per model and engine](../bench/results/latest.svg)');
    expect(md).toContain('- Latency, webcnn ÷ the faster WebGPU peer: 0.25× (lenet5 batch 1) to 0.50× (resnet18 batch 1).');
    expect(md).toContain('- Latency on the CPU, webcnn-wasm ÷ ort-wasm (target ≤ 1.0×): 0.75× (lenet5 batch 1) to 1.20× (resnet18 batch 1); at or below 1.0× on 1 of 2.');
    expect(md).toContain('- Training lenet5 at batch 64: 150.0 images/s, 3.0× tfjs-webgpu\'s 50.0.');
    expect(md).toContain('- Training lenet5 at batch 64 on the CPU: webcnn-wasm 420.0 images/s, 2.1× tfjs-cpu\'s 200.0 (target ≥ 2×).');
    expect(md).toContain("- First run: webcnn at or below the faster WebGPU peer on 1 of 2; above it on resnet18 batch 1 (5000 vs tfjs-webgpu's 4000 ms).");
    expect(md).toContain('| resnet18 | 1 | 290 | layer4.0.conv1 40.3 |');
    expect(md.endsWith('\n')).toBe(true);
  });

  it('says which models webcnn ran from their ONNX export, in latest.md and, from the details, in the docs section', () => {
    const effnet = (engine: Engine, ms: number, extra: Partial<ModelResult> = {}) => ({ ...result(engine, ms, extra), model: 'efficientnet_b0' });
    const note = 'webcnn ran efficientnet_b0 batch 1 from the ONNX export through `loadOnnx`';
    const withSource = report([result('webcnn', 300, { webcnnFrom: 'zoo' }), effnet('webcnn', 200, { webcnnFrom: 'onnx' }), effnet('ort-webgpu', 500)]);
    expect(toMarkdown(withSource)).toContain(note);
    expect(toMarkdown(report([result('webcnn', 300, { webcnnFrom: 'zoo' })]))).not.toContain('ONNX export');
    // latest.json keeps only the fields; the source comes back from latest-details.json.
    const fromJson = JSON.parse(toJson(withSource)) as BenchReport;
    expect(benchmarkResultsSection(fromJson)).not.toContain(note);
    const md = benchmarkResultsSection(fromJson, {
      vsTorch: [
        { model: 'resnet18', batch: 1, engine: 'webcnn', maxAbsDiff: null, webcnnFrom: 'zoo' },
        { model: 'efficientnet_b0', batch: 1, engine: 'webcnn', maxAbsDiff: 2e-7, webcnnFrom: 'onnx' },
      ],
    });
    expect(md).toContain(note);
    expect(md.split('\n').find((l) => l.startsWith('| efficientnet_b0'))?.endsWith('| 2.0e-7 |')).toBe(true);
    expect(md.split('\n').find((l) => l.startsWith('| resnet18'))?.endsWith('| — |')).toBe(true);
  });

  it('replaces only the text between the results markers, and needs both', () => {
    const doc = `# B\n\n${DOCS_RESULTS_START}\nold\n${DOCS_RESULTS_END}\n\nafter\n`;
    const out = replaceBenchmarkResults(doc, 'new\n');
    expect(out).toBe(`# B\n\n${DOCS_RESULTS_START}\nnew\n${DOCS_RESULTS_END}\n\nafter\n`);
    expect(benchmarkResultsIn(out)).toBe('new\n');
    expect(replaceBenchmarkResults(out, 'new\n')).toBe(out);
    expect(() => replaceBenchmarkResults('# B\n', 'x')).toThrow(/markers/);
    expect(benchmarkResultsIn(`${DOCS_RESULTS_END}${DOCS_RESULTS_START}`)).toBeNull();
  });

  it("docs/benchmarks.md shows what the committed bench/results/ give (npm run bench rewrites it)", () => {
    const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
    const want = benchmarkResultsSection(JSON.parse(read('bench/results/latest.json')) as BenchReport, JSON.parse(read('bench/results/latest-details.json')) as BenchDetails);
    const got = benchmarkResultsIn(read('docs/benchmarks.md'));
    expect(got, 'docs/benchmarks.md lacks the results markers').not.toBeNull();
    expect(got, 'docs/benchmarks.md differs from bench/results/latest.json: rerun npm run bench, or regenerate the section with benchmarkResultsSection').toBe(want);
  });

  it('names the slowest webcnn layers', () => {
    const spots = hotSpots([result('webcnn', 10, { profile: [{ name: 'a', ms: 1, dispatches: 1 }, { name: 'b', ms: 5, dispatches: 2 }, { name: 'c', ms: 3, dispatches: 1 }] })], 2);
    expect(spots).toEqual([{ model: 'resnet18', batch: 1, totalMs: 9, layers: [{ name: 'b', ms: 5, dispatches: 2 }, { name: 'c', ms: 3, dispatches: 1 }] }]);
  });
});
