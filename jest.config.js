/**
 * Three projects: `unit` runs the engine, checks and parsers on TypeScript through ts-jest, in
 * milliseconds (`make test-unit`); `e2e` drives the built bundles through real kubectl, BIRD,
 * Prometheus and promtool; `netns` runs agents on real Linux hosts made of network namespaces
 * (root only: `make test` says when it leaves them out). Suites run two at a time: each e2e suite
 * takes its own ports (the kernel picks them) and temporary folders, so they are independent.
 */
const common = { testEnvironment: 'node', transform: { '^.+\\.ts$': 'ts-jest' } };
module.exports = {
  testTimeout: 30000,
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/test/unit', '<rootDir>/test/checks'], testMatch: ['**/*.test.ts'] },
    { ...common, displayName: 'e2e', roots: ['<rootDir>/test/e2e', '<rootDir>/test/exporter', '<rootDir>/test/ops'], testMatch: ['**/*.test.ts'] },
    { ...common, displayName: 'netns', roots: ['<rootDir>/test/netns'], testMatch: ['**/*.test.ts'] },
  ],
};
