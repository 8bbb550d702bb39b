import { FlowControl } from '../../../local/flow-control';

describe('FlowControl', () => {
  afterEach(() => jest.useRealTimers());

  it('when the pipeline keeps up, lets every publish through at once', () => {
    const flow = new FlowControl(() => 4999, 5000, 2000);
    expect(flow.gate()).toBeUndefined();
    expect(flow.holding).toBe(false);
  });

  it('when the backlog reaches the window, holds publishes until progress brings it down to half', async () => {
    let inFlight = 5000;
    const flow = new FlowControl(() => inFlight, 5000, 2000);
    const hold = flow.gate();
    expect(hold).toBeInstanceOf(Promise);
    // Every publish meanwhile waits on the same hold.
    expect(flow.gate()).toBe(hold);
    let released = false;
    void hold!.then(() => {
      released = true;
    });
    inFlight = 2600;
    flow.progressed();
    await Promise.resolve();
    expect(released).toBe(false);
    inFlight = 2500;
    flow.progressed();
    await hold;
    expect(released).toBe(true);
    expect(flow.holding).toBe(false);
  });

  it('when no progress comes, releases the hold after its longest time, so a stuck stage cannot stop the broker', async () => {
    jest.useFakeTimers();
    const flow = new FlowControl(() => 9000, 5000, 2000);
    const hold = flow.gate()!;
    let released = false;
    void hold.then(() => {
      released = true;
    });
    jest.advanceTimersByTime(1999);
    await Promise.resolve();
    expect(released).toBe(false);
    jest.advanceTimersByTime(1);
    await hold;
    expect(released).toBe(true);
  });
});
