/** How the agent's parts log: one JSON line per call, through Fastify's logger once it exists. */
export type Log = (level: 'info' | 'warn' | 'error', message: string, fields?: object) => void;
