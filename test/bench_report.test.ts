// The benchmark harness's pure parts (bench/report.ts): statistics, the ratio to the best
// WebGPU peer, latest.json's exact fields, the markdown table, the SVG chart, and the results
// section of docs/benchmarks.md, which must be what the committed bench/results/ give.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  summarize, ratioToBestPeer, toJson, toMarkdown, toSvg, hotSpots, benchmarkResultsSection, replaceBenchmarkResults, benchmarkResultsIn,
  DOCS_RESULTS_START, DOCS_RESULTS_END, type BenchDetails, type BenchReport, type Engine, type ModelResult,
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

  it('divides webcnn by the faster WebGPU peer, never by ort-wasm', () => {
    const by = new Map<Engine, ModelResult>([
      ['webcnn', result('webcnn', 300)],
      ['tfjs-webgpu', result('tfjs-webgpu', 600)],
      ['ort-webgpu', result('ort-webgpu', 400)],
      ['ort-wasm', result('ort-wasm', 50)],
    ]);
    expect(ratioToBestPeer(by)).toEqual({ ratio: 0.75, peer: 'ort-webgpu' });
    by.set('ort-webgpu', result('ort-webgpu', null, { error: 'failed' }));
    expect(ratioToBestPeer(by)).toEqual({ ratio: 0.5, peer: 'tfjs-webgpu' });
    by.delete('tfjs-webgpu');
    by.delete('ort-webgpu');
    expect(ratioToBestPeer(by)).toBeNull();
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

  it('renders one markdown row per model and batch, with the ratio and the failures', () => {
    const md = toMarkdown(report([result('webcnn', 300, { vsTorch: 2e-5 }), result('tfjs-webgpu', 600), result('ort-webgpu', null, { error: 'boom' }), result('ort-wasm', 50)]), ['a note']);
    const rows = md.split('\n').filter((l) => l.startsWith('| resnet18'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('| 300 | 600 | failed | 50.0 |');
    expect(rows[0]).toContain('0.50× (tfjs-webgpu)');
    expect(rows[0]).toContain('| 2.0e-5 |');
    expect(md).toContain('a note');
    expect(md).toContain('| lenet5 | 64 | webcnn | 150.0 |');
    expect(md).toContain('- resnet18 ort-webgpu: boom');
    expect(md).toContain('- lenet5 tfjs-webgpu: no gradient');
  });

  it('draws one bar per measured engine in a well-formed SVG', () => {
    const svg = toSvg(report([result('webcnn', 300), result('tfjs-webgpu', 600), result('ort-webgpu', null), result('ort-wasm', 50)]));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    // 4 legend swatches + 3 bars (the failed engine has none) + the background.
    expect(svg.match(/<rect /g)).toHaveLength(8);
    expect(svg).toContain('resnet18 3×64×64 b1');
  });

  it('writes the results section of docs/benchmarks.md: tables, PyTorch differences from the details, ratios, first runs, hot spots', () => {
    const r = report([
      result('webcnn', 300, { firstRunMs: 5000 }),
      result('tfjs-webgpu', 600, { firstRunMs: 4000 }),
      result('ort-webgpu', null, { error: 'boom' }),
      result('ort-wasm', 50),
      { ...result('webcnn', 10), model: 'lenet5', input: [1, 1, 32, 32] },
      { ...result('ort-webgpu', 40), model: 'lenet5', input: [1, 1, 32, 32] },
    ]);
    r.training[1] = { model: 'lenet5', engine: 'tfjs-webgpu', batch: 64, imagesPerSec: 50 };
    r.adapter.host = { cpus: 2, cpuModel: 'AMD EPYC', loadAverageAtStart: [1.23], loadAverageAtEnd: [0.5], note: 'idle' };
    r.adapter.protocol = '1 warm-up + 5 timed runs';
    r.adapter.userAgent = 'Mozilla/5.0 HeadlessChrome/156.0.0.0 Safari/537.36';
    const details: BenchDetails = {
      minutes: 9.24,
      vsTorch: [{ model: 'resnet18', batch: 1, engine: 'webcnn', maxAbsDiff: 3e-6 }, { model: 'resnet18', batch: 1, engine: 'ort-wasm', maxAbsDiff: 1 }],
      hotSpots: [{ model: 'resnet18', batch: 1, totalMs: 290, layers: [{ name: 'layer4.0.conv1', ms: 40.25, dispatches: 1 }] }],
    };
    const md = benchmarkResultsSection(r, details);
    expect(md).toContain('- Adapter: google swiftshader, software; run finished 2026-12-01T20:50:00.000Z.');
    expect(md).toContain('- Host: 2 CPU cores (AMD EPYC); Chromium 156; load average 1.2 at start, 0.5 at end; idle.');
    expect(md).toContain('- Protocol: 1 warm-up + 5 timed runs.');
    expect(md).toContain('- Whole run: 9.2 min.');
    const row = md.split('\n').find((l) => l.startsWith('| resnet18'));
    expect(row).toContain('| 300 | 600 | failed | 50.0 | 0.50× (tfjs-webgpu) |');
    expect(row?.endsWith('| 3.0e-6 |')).toBe(true);
    expect(md).toContain('![Median latency per model and engine](../bench/results/latest.svg)');
    expect(md).toContain('- Latency, webcnn ÷ the faster WebGPU peer: 0.25× (lenet5 batch 1) to 0.50× (resnet18 batch 1).');
    expect(md).toContain('- Training lenet5 at batch 64: 150.0 images/s, 3.0× tfjs-webgpu\'s 50.0.');
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
