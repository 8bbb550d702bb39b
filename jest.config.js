/** Tests are TypeScript compiled by swc (no type-check here: `npm run typecheck` does that). */
const { availableParallelism } = require('node:os');

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  globalSetup: '<rootDir>/test/system-packages.js',
  setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
  testTimeout: 30000,
  // Jest's default is one worker fewer than cores: one on a 2-core machine. Most of the long
  // tests wait on real time (brokers, a paced fleet, the local runtime's run), so two or more
  // share the cores well.
  maxWorkers: Math.max(2, availableParallelism() - 1),
};
