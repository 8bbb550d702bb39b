import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type Browser, chromium } from 'playwright-core';

const ROOT = path.resolve(__dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');

describe('local dashboard in a real browser', () => {
  let dir: string;
  let child: ChildProcess;
  let browser: Browser | undefined;
  let dashboardUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'aiot-dashboard-'));
    child = spawn(
      path.join(ROOT, 'node_modules/.bin/tsx'),
      [
        'bin/aiot.ts',
        'start',
        '--devices',
        '3',
        '--rate',
        '5',
        '--port',
        '0',
        '--mqtt-port',
        '0',
        '--data',
        dir,
        '--report',
        path.join(dir, 'report.json'),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    dashboardUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no dashboard URL within 60 s:\n${out}`)), 60_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /dashboard\s+(http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--headless',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('when opened, shows the fleet with live charts that have data, and the pipeline counters', async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(dashboardUrl);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    // Charts fill as telemetry is stored: wait until every device's chart has points.
    await page.waitForFunction(
      () => {
        const charts = [
          ...(
            window as unknown as { aiotDashboard: { charts: Map<string, { plot: { data: number[][] } }> } }
          ).aiotDashboard.charts.values(),
        ];
        return charts.length === 3 && charts.every((c) => (c.plot.data[0]?.length ?? 0) > 5);
      },
      undefined,
      { timeout: 60_000, polling: 500 },
    );
    expect(await page.locator('.device canvas').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('.device .health').first().textContent()).toMatch(/ok|warning|critical|stale/);
    const published = Number(
      (await page.locator('[data-counter="published"] b').textContent())!.replace(/\D/g, ''),
    );
    expect(published).toBeGreaterThan(0);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
  }, 120_000);
});
