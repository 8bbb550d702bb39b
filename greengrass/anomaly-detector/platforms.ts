/**
 * What the artifact runs on. Greengrass ships no Node.js: the core needs its own, at least this
 * major version (the bundle's esbuild target). The bundle carries aws-crt's native binaries for
 * Linux on x64 and arm64 (glibc and musl), so the recipe declares those two architectures in
 * Greengrass's terms (`amd64`, `aarch64`:
 * https://docs.aws.amazon.com/greengrass/v2/developerguide/component-recipe-reference.html#recipe-format).
 */
export const MIN_NODE_MAJOR = 20;

/** Node's `os.arch()` of each shipped binary → the recipe's platform architecture. */
export const ARCHITECTURES = { x64: 'amd64', arm64: 'aarch64' } as const;

/** Platforms whose aws-crt binary ships in the artifact (Greengrass cores run Linux). */
export const ARTIFACT_PLATFORMS = Object.keys(ARCHITECTURES).flatMap((arch) =>
  ['glibc', 'musl'].map((libc) => `linux-${arch}-${libc}`),
);
