import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildStack } from '../fixtures/stack';

const ROOT = path.resolve(__dirname, '../..');

describe('the whole app', () => {
  it('when bundled and synthesized with cdk-nag AwsSolutions and CloudFormation validation, has no unacknowledged finding', () => {
    const { app } = buildStack({}, { nag: true, bundle: true, validate: true });
    expect(() => app.synth()).not.toThrow();
  });

  it('when the app gets a bad configuration value, fails synth naming the key', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'aiot-synth-'));
    try {
      const res = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), ['bin/aiot-app.ts'], {
        cwd: ROOT,
        env: {
          ...process.env,
          CDK_OUTDIR: out,
          CDK_CONTEXT_JSON: JSON.stringify({ kinesisCapacityMode: 'AUTO' }),
        },
        encoding: 'utf8',
      });
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(/invalid aiot configuration[\s\S]*- kinesisCapacityMode: /);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
