import type { HostFacts } from './facts';
import { isDefaultRoute, type Route } from './parsers/proc-net-route';

// Virtual and tunnel links often report "unknown" while passing traffic.
export const usableState = (state: string | undefined) => state === 'up' || state === 'unknown';

/** The default route the host can actually use, if it has one (its interface up). */
export function usableDefaultRoute(host: HostFacts): Route | undefined {
  const states = host.interfaces ?? {};
  return host.routes?.find((r) => isDefaultRoute(r) && r.up && usableState(states[r.iface]));
}
