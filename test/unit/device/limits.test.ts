import { IOT_CORE_CONNECTION_LIMITS, PublishLimiter } from '../../../device/limits';

describe('PublishLimiter', () => {
  it('when a connection publishes as fast as it can, lets at most 100 through in any sliding second', () => {
    let now = 1_000_000;
    const limiter = new PublishLimiter(IOT_CORE_CONNECTION_LIMITS, () => now);
    const sentAt: number[] = [];
    // Try every millisecond for 5 s, as a replaying device would.
    for (let t = 0; t < 5000; t++) {
      now = 1_000_000 + t;
      if (limiter.take(300) === 0) sentAt.push(now);
    }
    expect(sentAt.length).toBe(500);
    for (let i = 100; i < sentAt.length; i++)
      expect(sentAt[i]! - sentAt[i - 100]!).toBeGreaterThanOrEqual(1000);
  });

  it('when messages are large, keeps the bytes of any sliding second within 512 KiB and says how long to wait', () => {
    let now = 0;
    const limiter = new PublishLimiter(IOT_CORE_CONNECTION_LIMITS, () => now);
    const size = 100 * 1024;
    for (let i = 0; i < 5; i++) expect(limiter.take(size)).toBe(0);
    // A sixth would make 600 KiB within the second: wait until the first leaves the window.
    now = 400;
    expect(limiter.take(size)).toBe(600);
    now = 1000;
    expect(limiter.take(size)).toBe(0);
  });
});
