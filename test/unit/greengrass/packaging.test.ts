import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARTIFACT_PLATFORMS, bundleAnomalyDetector } from '../../../greengrass/anomaly-detector/bundle';
import { COMPONENT_NAME, DEFAULT_EDGE_CONFIG } from '../../../greengrass/anomaly-detector/config';
import {
  anomalyDetectorRecipe,
  artifactFolder,
  contentVersion,
} from '../../../greengrass/anomaly-detector/recipe';

describe('anomaly-detector recipe', () => {
  const uri = 's3://assets/0123abcd.zip';

  it('when built twice from the same content, the version is the same; other defaults give another', () => {
    const a = anomalyDetectorRecipe({ artifactUri: uri });
    expect(anomalyDetectorRecipe({ artifactUri: uri }).ComponentVersion).toBe(a.ComponentVersion);
    expect(a.ComponentVersion).toMatch(/^1\.\d{1,6}\.\d{1,6}$/);
    const other = anomalyDetectorRecipe({
      artifactUri: uri,
      defaultConfig: { ...DEFAULT_EDGE_CONFIG, windowMs: 5000 },
    });
    expect(other.ComponentVersion).not.toBe(a.ComponentVersion);
    expect(anomalyDetectorRecipe({ artifactUri: 's3://assets/ffff.zip' }).ComponentVersion).not.toBe(
      a.ComponentVersion,
    );
  });

  it('when the artifact is a zip, the run script points into its unpacked folder', () => {
    const recipe = anomalyDetectorRecipe({ artifactUri: uri, version: '2.0.0' }) as {
      ComponentName: string;
      ComponentVersion: string;
      Manifests: { Lifecycle: { Run: { Script: string } } }[];
    };
    expect(recipe.ComponentName).toBe(COMPONENT_NAME);
    expect(recipe.ComponentVersion).toBe('2.0.0');
    expect(artifactFolder(uri)).toBe('0123abcd');
    expect(recipe.Manifests[0]!.Lifecycle.Run.Script).toBe(
      'node {artifacts:decompressedPath}/0123abcd/index.js {work:path}',
    );
  });

  it('when versions are derived, every part stays within six digits', () => {
    for (let i = 0; i < 200; i++) {
      for (const part of contentVersion(`content ${i}`).split('.'))
        expect(Number(part)).toBeLessThan(1_000_000);
    }
  });
});

describe('bundleAnomalyDetector', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'aiot-bundle-'));
    bundleAnomalyDetector(out);
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('when bundled, one index.js and the aws-crt binary of every target platform are in the artifact', () => {
    expect(existsSync(join(out, 'index.js'))).toBe(true);
    for (const p of ARTIFACT_PLATFORMS)
      expect(existsSync(join(out, 'bin', p, 'aws-crt-nodejs.node'))).toBe(true);
  });

  it('when run outside Greengrass with no node_modules around, it loads (aws-crt included) and says why it stops', () => {
    const run = spawnSync(process.execPath, [join(out, 'index.js'), join(out, 'work')], {
      cwd: out,
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('not running as a Greengrass component');
  });
});
