/**
 * Typed errors. Each message is a sentence a user can act on: what is wrong, where, and
 * (for environment problems) what to do about it.
 */

/** Base class of every error webcnn throws on purpose. */
export class WebCnnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** No WebGPU adapter could be obtained (no `navigator.gpu`, no driver, blocked by the browser). */
export class WebGpuUnavailableError extends WebCnnError {}

/** The adapter lacks a feature or limit the caller asked for. */
export class UnsupportedFeatureError extends WebCnnError {}

/** A tensor or dispatch exceeds a device limit and cannot be split. */
export class LimitExceededError extends WebCnnError {}

/** The GPU device was lost (driver reset, `device.destroy()`, tab backgrounded too long). */
export class DeviceLostError extends WebCnnError {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

/** A WebGPU validation, out-of-memory or internal error surfaced by the device. */
export class GpuError extends WebCnnError {}

/** An op got arguments whose shapes or values do not fit together. */
export class ShapeError extends WebCnnError {
  constructor(
    readonly op: string,
    detail: string,
    readonly layer?: string,
  ) {
    super(`${op}${layer ? ` '${layer}'` : ''}: ${detail}`);
  }
}

/** An op got a parameter that is out of range (non-positive stride, unknown activation...). */
export class InvalidArgumentError extends WebCnnError {
  constructor(
    readonly op: string,
    detail: string,
    readonly layer?: string,
  ) {
    super(`${op}${layer ? ` '${layer}'` : ''}: ${detail}`);
  }
}

/** A tensor or backend was used after `dispose()`. */
export class DisposedError extends WebCnnError {}

/** Tensors from two different backends (or devices) were mixed in one op. */
export class BackendMismatchError extends WebCnnError {}

/**
 * Training diverged: the mean loss of a batch `fit` read back is NaN or ±Infinity (a learning
 * rate too high, or NaN/Inf in the data). `fit` stops there; the model keeps the weights of its
 * last completed epoch. `epoch` and `batch` count from 0, `step` (optimizer steps taken) from 1.
 */
export class NonFiniteLossError extends WebCnnError {
  constructor(
    message: string,
    readonly loss: number,
    readonly epoch: number,
    readonly batch: number,
    readonly step: number,
  ) {
    super(message);
  }
}
