/**
 * Two projects: `unit` runs the engine, checks and parsers on TypeScript through ts-jest, in
 * milliseconds; `e2e` drives the built bundles through real kubectl, BIRD, Prometheus and
 * promtool. `npx jest --selectProjects unit` while working on a check.
 */
const common = { testEnvironment: 'node', transform: { '^.+\\.ts$': 'ts-jest' } };
module.exports = {
  testTimeout: 30000,
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/test/unit', '<rootDir>/test/checks'], testMatch: ['**/*.test.ts'] },
    { ...common, displayName: 'e2e', roots: ['<rootDir>/test/e2e', '<rootDir>/test/exporter', '<rootDir>/test/ops'], testMatch: ['**/*.test.ts'] },
  ],
};
