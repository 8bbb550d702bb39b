/**
 * What AWS IoT Core allows one MQTT connection (AWS General Reference, "AWS IoT Core endpoints
 * and quotas", message broker limits, https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits):
 * at most 100 publish requests per second per connection, inbound and outbound, "publish
 * requests that exceed that quota are discarded"; and 512 KiB per second of throughput per
 * connection, "data that exceeds the maximum throughput is delayed". Neither can be raised.
 */
export const IOT_CORE_CONNECTION_LIMITS = { publishesPerSecond: 100, bytesPerSecond: 512 * 1024 } as const;

export interface ConnectionLimits {
  readonly publishesPerSecond: number;
  readonly bytesPerSecond: number;
}

/**
 * Keeps one connection's publishes within {@link ConnectionLimits} over every sliding second (not
 * on average: a burst after a reconnection would otherwise break the quota in its first second).
 */
export class PublishLimiter {
  /** Times and sizes of the publishes of the last second, oldest first. */
  private readonly times: number[] = [];
  private readonly sizes: number[] = [];
  private bytes = 0;

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Milliseconds until a publish of `size` bytes may go; 0 means now, and it is counted as sent.
   */
  take(size: number): number {
    const now = this.clock();
    while (this.times.length > 0 && this.times[0]! <= now - 1000) {
      this.times.shift();
      this.bytes -= this.sizes.shift()!;
    }
    const full = this.times.length >= this.limits.publishesPerSecond;
    const heavy = this.bytes + size > this.limits.bytesPerSecond && this.times.length > 0;
    if (full || heavy) {
      // The oldest publish of the window leaves it first; more may have to, but that is decided then.
      return Math.max(1, this.times[0]! + 1000 - now);
    }
    this.times.push(now);
    this.sizes.push(size);
    this.bytes += size;
    return 0;
  }
}
