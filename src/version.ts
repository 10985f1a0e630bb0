// Stamped in by the build (build.mjs) from package.json and git.
declare const NETCHECK_VERSION: string | undefined;
declare const NETCHECK_REVISION: string | undefined;
declare const Bun: { version: string } | undefined;

export const VERSION = typeof NETCHECK_VERSION === 'string' ? NETCHECK_VERSION : 'dev';
export const REVISION = typeof NETCHECK_REVISION === 'string' ? NETCHECK_REVISION : 'unknown';
/** "node v20.20.2" or "bun 1.4.5": the JavaScript runtime this build runs on. */
export const RUNTIME = typeof Bun !== 'undefined' ? `bun ${Bun.version}` : `node ${process.version}`;
