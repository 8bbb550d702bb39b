import { Command } from 'commander';
import { registerCostCommands } from '../../../bin/cost';

/** Runs `aiot cost …` in-process; resolves with what it printed, rejects with its error. */
async function cost(...args: string[]): Promise<string> {
  const program = new Command().name('aiot').exitOverride();
  program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerCostCommands(program);
  for (const c of program.commands)
    c.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  const chunks: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    await program.parseAsync(['node', 'aiot', 'cost', ...args]);
  } finally {
    write.mockRestore();
  }
  return chunks.join('');
}

describe('aiot cost', () => {
  it('when run with a fleet, prints the table, the ratio, the price date and tells to check current prices', async () => {
    const out = await cost('--devices', '100', '--sensitivity');
    expect(out).toContain('list prices looked up on 2026-12-01: check the current AWS pricing pages');
    expect(out).toMatch(/IoT Core +0 /);
    expect(out).toMatch(/naive ÷ aiot: \d+\.\d×/);
    expect(out).toContain('What moves the aiot total');
  });

  it('when the configuration picks InfluxDB (which the stack loader does not accept yet), costs it', async () => {
    const out = await cost('--devices', '100', '-c', 'storageBackend=timestream-influxdb', '--detail');
    expect(out).toContain('Timestream for InfluxDB: db.influx.medium instance');
    expect(out).not.toContain('Timestream for LiveAnalytics');
  });

  it('when given its own prices, uses them', async () => {
    const json = JSON.parse(await cost('--devices', '100', '--json'));
    expect(json.unpriced).toContain('iot.rulesTriggered');
    const priced = JSON.parse(
      await cost('--devices', '100', '--json', '--prices', `${__dirname}/fixtures/own-prices.json`),
    );
    expect(priced.unpriced).not.toContain('iot.rulesTriggered');
    expect(priced.totals.aiot).toBeGreaterThan(json.totals.aiot);
  });

  it.each([
    [['--devices', '-5'], '--devices must be an integer'],
    [['--devices', 'many'], '--devices must be an integer'],
    [['--edge-share', '1.5'], '--edge-share must be a number in 0–1'],
    [['--batch', '501'], '--batch must be an integer in 1–500'],
    [['--region', 'mars-1'], "argument 'mars-1' is invalid"],
    [['-c', 'kinesisShards'], '-c takes key=value'],
  ])('when given %j, refuses it with a clear message', async (args, message) => {
    await expect(cost(...args)).rejects.toThrow(message);
  });

  it.each([
    [['-c', 'kinesisShards=0'], 'kinesisShards'],
    [['-c', 'kinesisShard=4'], 'unknown configuration key kinesisShard'],
    [['-c', 'storageBackend=postgres'], 'storageBackend'],
    [['--prices', '/nonexistent/prices.json'], 'cannot read price file /nonexistent/prices.json'],
    [['--template', `${__dirname}/fixtures/own-prices.json`], 'not a CloudFormation template'],
  ])('when the configuration is bad (%j), names what is wrong', async (args, message) => {
    await expect(cost(...args)).rejects.toThrow(message);
  });
});
