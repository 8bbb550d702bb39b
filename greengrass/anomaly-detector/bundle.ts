import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildSync } from 'esbuild';

import { ARTIFACT_PLATFORMS, MIN_NODE_MAJOR } from './platforms';

export { ARTIFACT_PLATFORMS } from './platforms';

/**
 * Points aws-crt at the binary shipped next to the bundle, before anything loads it: bundled,
 * aws-crt can no longer find its `bin/` folder relative to its own package.
 */
const CRT_LOCATOR = `(() => {
  const path = require('node:path'), fs = require('node:fs'), os = require('node:os');
  if (process.env.AWS_CRT_NODEJS_BINARY_ABSOLUTE_PATH) return;
  const libc = os.platform() !== 'linux' ? 'cruntime'
    : process.report && process.report.getReport().header.glibcVersionRuntime ? 'glibc' : 'musl';
  const file = path.join(__dirname, 'bin', os.platform() + '-' + os.arch() + '-' + libc, 'aws-crt-nodejs.node');
  if (fs.existsSync(file)) process.env.AWS_CRT_NODEJS_BINARY_ABSOLUTE_PATH = file;
})();`;

/**
 * Bundles the component into `outDir`: one `index.js` (esbuild, the oldest Node it supports, everything inlined) and
 * the aws-crt native binaries it needs for IPC. The CDK construct zips that folder as the artifact.
 */
export function bundleAnomalyDetector(outDir: string): { entry: string } {
  mkdirSync(outDir, { recursive: true });
  const entry = join(outDir, 'index.js');
  buildSync({
    entryPoints: [join(__dirname, 'main.ts')],
    outfile: entry,
    bundle: true,
    platform: 'node',
    target: `node${MIN_NODE_MAJOR}`,
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    banner: { js: CRT_LOCATOR },
    logLevel: 'error',
    // aws-crt picks its binary at run time from a computed path.
    logOverride: { 'unsupported-require-call': 'silent' },
  });
  const crtRoot = dirname(require.resolve('aws-crt/package.json'));
  for (const platform of ARTIFACT_PLATFORMS) {
    const binary = join(crtRoot, 'dist', 'bin', platform, 'aws-crt-nodejs.node');
    if (!existsSync(binary)) throw new Error(`aws-crt binary for ${platform} missing at ${binary}`);
    mkdirSync(join(outDir, 'bin', platform), { recursive: true });
    copyFileSync(binary, join(outDir, 'bin', platform, 'aws-crt-nodejs.node'));
  }
  return { entry };
}
