// What cilium-agent says of its own health (GET /v1/healthz on its API socket): the shape the
// checks read; src/sockets/cilium-client.ts asks for it.
export interface CiliumHealth {
  /** The agent's own state: Ok, Warning, Failure, Disabled. */
  state: string;
  message?: string;
  /** Its connection to the API server, as it sees it. */
  kubernetes?: { state: string; message?: string };
}
