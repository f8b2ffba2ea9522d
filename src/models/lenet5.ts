/**
 * LeNet-5 as published: LeCun, Bottou, Bengio, Haffner, "Gradient-based learning applied to
 * document recognition", Proc. IEEE 86(11), 1998 — section II.B and Table I.
 *
 *   input (1, 32, 32)
 *   C1  conv 6@5×5, scaled tanh                      (6, 28, 28)     156 params
 *   S2  trainable 2×2 subsampling, scaled tanh       (6, 14, 14)      12
 *   C3  conv 16@5×5 over the Table I connections     (16, 10, 10)  1,516
 *   S4  trainable 2×2 subsampling, scaled tanh       (16, 5, 5)       32
 *   C5  conv 120@5×5, scaled tanh                    (120, 1, 1)  48,120
 *   F6  dense 84, scaled tanh                        (84)         10,164
 *   output: Euclidean RBF units, one per digit       (10)            840 (fixed)
 *
 * 60,000 trainable parameters plus the 840 fixed RBF centres. The output is the squared
 * distance of F6's state to each digit's centre: smaller means more likely.
 */
import { type SymbolicTensor, input, apply } from '../graph/functional.js';
import { layers } from '../graph/factories.js';

/**
 * The RBF centres: a stylised 7×12 bitmap of each digit (Fig. 3 of the paper), rows top to
 * bottom, '#' = +1 and '.' = -1. The paper chose them so that confusable characters
 * (in its full ASCII set) get similar codes; for the ten digits any distinct, recognisable set
 * serves the same purpose.
 */
export const LENET5_DIGITS: readonly (readonly string[])[] = [
  ['.......', '..###..', '.#...#.', '#.....#', '#.....#', '#.....#', '#.....#', '#.....#', '#.....#', '.#...#.', '..###..', '.......'],
  ['.......', '...#...', '..##...', '.#.#...', '...#...', '...#...', '...#...', '...#...', '...#...', '...#...', '.#####.', '.......'],
  ['.......', '..###..', '.#...#.', '#.....#', '......#', '.....#.', '....#..', '...#...', '..#....', '.#.....', '#######', '.......'],
  ['.......', '.#####.', '#.....#', '......#', '......#', '..####.', '......#', '......#', '......#', '#.....#', '.#####.', '.......'],
  ['.......', '.....#.', '....##.', '...#.#.', '..#..#.', '.#...#.', '#....#.', '#######', '.....#.', '.....#.', '.....#.', '.......'],
  ['.......', '#######', '#......', '#......', '######.', '......#', '......#', '......#', '......#', '#.....#', '.#####.', '.......'],
  ['.......', '...###.', '..#....', '.#.....', '#......', '######.', '#.....#', '#.....#', '#.....#', '#.....#', '.#####.', '.......'],
  ['.......', '#######', '......#', '.....#.', '.....#.', '....#..', '....#..', '...#...', '...#...', '...#...', '...#...', '.......'],
  ['.......', '.#####.', '#.....#', '#.....#', '#.....#', '.#####.', '#.....#', '#.....#', '#.....#', '#.....#', '.#####.', '.......'],
  ['.......', '.#####.', '#.....#', '#.....#', '#.....#', '#.....#', '.######', '......#', '.....#.', '....#..', '.###...', '.......'],
];

const BITMAP_W = 7;
const BITMAP_H = 12;

/** The ten centres as one (10, 84) array of ±1, digit by digit, rows top to bottom. */
export function lenet5Centers(): Float32Array {
  const out = new Float32Array(LENET5_DIGITS.length * BITMAP_W * BITMAP_H);
  LENET5_DIGITS.forEach((rows, d) => {
    if (rows.length !== BITMAP_H || rows.some((r) => r.length !== BITMAP_W || /[^#.]/.test(r))) {
      throw new Error(`LeNet-5 bitmap of digit ${d} must be ${BITMAP_H} rows of ${BITMAP_W} '#'/'.' characters`);
    }
    rows.forEach((row, y) => {
      for (let x = 0; x < BITMAP_W; x++) out[d * BITMAP_W * BITMAP_H + y * BITMAP_W + x] = row[x] === '#' ? 1 : -1;
    });
  });
  return out;
}

/**
 * Table I of the paper: the S2 maps each C3 map reads. Maps 0-5 read three adjacent maps,
 * 6-11 four adjacent, 12-14 four non-adjacent, 15 all six. Breaking the symmetry this way
 * makes the maps learn different features and keeps the connection count at 60.
 */
export const LENET5_C3_TABLE: readonly (readonly number[])[] = [
  ...[0, 1, 2, 3, 4, 5].map((i) => [0, 1, 2].map((k) => (i + k) % 6).sort((a, b) => a - b)),
  ...[0, 1, 2, 3, 4, 5].map((i) => [0, 1, 2, 3].map((k) => (i + k) % 6).sort((a, b) => a - b)),
  [0, 1, 3, 4],
  [1, 2, 4, 5],
  [0, 2, 3, 5],
  [0, 1, 2, 3, 4, 5],
];

export interface LeNet5Config {
  inputSize: number;
  /** Weight initialisation of C1, C3, C5 and F6 (see ZooOptions.init). */
  init: 'pytorch' | 'lecun98';
}

export function buildLeNet5(cfg: LeNet5Config): { input: SymbolicTensor; output: SymbolicTensor } {
  const x = input([1, cfg.inputSize, cfg.inputSize], 'input');
  const act = 'scaledTanh';
  let h = apply(layers.conv2d({ filters: 6, kernelSize: 5, activation: act, init: cfg.init }), x, 'c1');
  h = apply(layers.subsample({ kernelSize: 2, activation: act }), h, 's2');
  h = apply(layers.conv2d({ filters: 16, kernelSize: 5, connectionTable: LENET5_C3_TABLE, activation: act, init: cfg.init }), h, 'c3');
  h = apply(layers.subsample({ kernelSize: 2, activation: act }), h, 's4');
  h = apply(layers.conv2d({ filters: 120, kernelSize: 5, activation: act, init: cfg.init }), h, 'c5');
  h = apply(layers.flatten(), h, 'flatten');
  h = apply(layers.dense({ units: 84, activation: act, init: cfg.init }), h, 'f6');
  const out = apply(layers.rbf({ units: 10, centers: lenet5Centers() }), h, 'output');
  return { input: x, output: out };
}
