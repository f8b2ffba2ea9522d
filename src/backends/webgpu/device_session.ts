/**
 * The lifetime of the backend's GPU device: acquired (or lent) at start, watched for loss,
 * replaced by `recover()`, destroyed by `dispose()`. Each device is one generation; tensors and
 * plans remember the generation they were made on, so work left over from a lost device is
 * refused in words rather than run on the new one.
 */
import { DeviceLostError, DisposedError } from '../../errors.js';
import { type GpuContext, type DeviceOptions, acquireDevice } from '../../device/device.js';

export class DeviceSession {
  readonly #ownsDevice: boolean;
  readonly #options: DeviceOptions;
  /** Called once a recovered device is current, to remake what belonged to the old one. */
  readonly #onNewDevice: (ctx: GpuContext) => void;
  #ctx: GpuContext;
  #generation = 0;
  #lost: GPUDeviceLostInfo | null = null;
  #recovering: Promise<void> | null = null;
  #disposed = false;

  /** `options` are what `recover()` acquires a new device with (when the session owns its device). */
  constructor(ctx: GpuContext, ownsDevice: boolean, options: DeviceOptions, onNewDevice: (ctx: GpuContext) => void) {
    this.#ctx = ctx;
    this.#ownsDevice = ownsDevice;
    this.#options = options;
    this.#onNewDevice = onNewDevice;
    this.#watch(ctx);
  }

  /** Records the loss of `ctx` unless it has been replaced by then. */
  #watch(ctx: GpuContext): void {
    const generation = this.#generation;
    void ctx.lost.then((info) => {
      if (this.#generation === generation) this.#lost = info;
    });
  }

  get ctx(): GpuContext {
    return this.#ctx;
  }

  /** 0 for the first device, +1 per `recover()`. */
  get generation(): number {
    return this.#generation;
  }

  /** How the current device was lost, or null while it is fine. */
  get lostInfo(): GPUDeviceLostInfo | null {
    return this.#lost;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Throws `DeviceLostError`/`DisposedError` if no more work can run. */
  assertUsable(op: string): void {
    if (this.#disposed) throw new DisposedError(`${op}: the WebGPU backend was disposed`);
    if (this.#lost) {
      throw new DeviceLostError(`${op}: the GPU device was lost (${this.#lost.reason}: ${this.#lost.message})`, this.#lost.reason);
    }
  }

  /**
   * After a loss, acquires a new device with the options the session was made with and makes it
   * current. A no-op while the device is fine; concurrent calls share one acquisition. A lent
   * device cannot be acquired again: that throws `DeviceLostError`.
   */
  async recover(): Promise<void> {
    if (this.#disposed) throw new DisposedError('recover: the WebGPU backend was disposed');
    const lost = this.#lost;
    if (!lost) return;
    if (!this.#ownsDevice) {
      throw new DeviceLostError(
        `recover: the GPU device was lost (${lost.reason}: ${lost.message}) and this backend runs on a device it was lent (the context option): acquire a new device and make a new backend`,
        lost.reason,
      );
    }
    this.#recovering ??= (async () => {
      try {
        const ctx = await acquireDevice(this.#options);
        this.#generation++;
        this.#ctx = ctx;
        this.#watch(ctx);
        this.#onNewDevice(ctx);
        this.#lost = null;
      } finally {
        this.#recovering = null;
      }
    })();
    return this.#recovering;
  }

  /**
   * The error to reject a pending call with when GPU work failed: `DeviceLostError` if the
   * device was lost (waiting briefly for the loss to be reported), else `error` itself.
   */
  async lostError(op: string, error: unknown): Promise<unknown> {
    const ctx = this.#ctx;
    const info = this.#lost ?? (await Promise.race([ctx.lost, new Promise<null>((r) => setTimeout(() => r(null), 1000))]));
    if (!info) return error;
    return new DeviceLostError(`${op}: the GPU device was lost while the work was pending (${info.reason}: ${info.message})`, info.reason);
  }

  /** Marks the session over and destroys the device if it owns it. A second call is harmless. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#ownsDevice) this.#ctx.device.destroy();
  }
}
