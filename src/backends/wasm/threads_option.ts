/**
 * The `threads` option, checked in one place: by createBackend wherever it is given (so a GPU
 * machine refuses a bad value too) and by the wasm backend itself. Its own module so that the
 * check does not pull the wasm backend into the up-front bundle.
 */
import { InvalidArgumentError } from '../../errors.js';

export function checkThreads(threads: unknown, where: string): void {
  if (threads === undefined) return;
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new InvalidArgumentError(where, `threads must be an integer from 1 to 64, got ${JSON.stringify(threads)}`);
  }
}
