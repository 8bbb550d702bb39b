/**
 * Flow control between the broker and the pipeline: past `max` messages in flight (taken,
 * neither stored nor quarantined yet) the broker holds further publishes until the backlog is
 * down to half, so an overload slows the devices, as IoT Core and Kinesis throttling would,
 * instead of queueing in memory. The hold is released by the pipeline's progress, never by
 * polling, and lasts at most `maxHoldMs`, so a stuck stage cannot stop the broker.
 */
export class FlowControl {
  private hold: { readonly promise: Promise<void>; readonly release: () => void } | undefined;

  constructor(
    private readonly inFlight: () => number,
    private readonly max: number,
    private readonly maxHoldMs: number,
  ) {}

  /** Undefined while the pipeline keeps up; else a promise that settles once it has caught up. */
  gate(): Promise<void> | undefined {
    if (this.hold) return this.hold.promise;
    if (this.inFlight() < this.max) return undefined;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    const timer = setTimeout(() => this.release(), this.maxHoldMs);
    this.hold = {
      promise,
      release: () => {
        clearTimeout(timer);
        resolve();
      },
    };
    return promise;
  }

  /** True while publishes are held. */
  get holding(): boolean {
    return this.hold !== undefined;
  }

  /** The pipeline made progress: publishers go again once the backlog is down to half. */
  progressed(): void {
    if (this.hold && this.inFlight() <= this.max / 2) this.release();
  }

  private release(): void {
    const hold = this.hold;
    this.hold = undefined;
    hold?.release();
  }
}
