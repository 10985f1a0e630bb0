// Stamped in by the build (build.mjs) from package.json.
declare const NETCHECK_VERSION: string | undefined;
export const VERSION = typeof NETCHECK_VERSION === 'string' ? NETCHECK_VERSION : 'dev';
