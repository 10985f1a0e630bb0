import { type Check, hostFactRemedy, unavailableEvidence } from '../check';
import { containsAddress, parseCidr } from '../cidr';
import { cluesOf } from '../clues';
import { internalIP } from '../kube-objects';
import { finding, measured } from '../model';
import { isVirtualLink, usableDefaultRoute, usableState as usable } from '../host-network';
import { isDefaultRoute } from '../parsers/proc-net-route';



const BRING_UP =
  "Bring the interface up and make it stay up at boot: ip link set <iface> up (then netplan apply, nmcli connection up <name> or ifup <iface>, whichever manages it); check that the default route is back with ip route show default.";

export const defaultRoute: Check = {
  id: 'default-route',
  title: 'The host has a default route on an interface that is up',
  needs: ['routes', 'interfaces', 'cniLogs', 'agent'],
  seenBest: 'host',
  evaluate(facts) {
    const host = facts.host;
    if (host?.routes) {
      const states = host.interfaces ?? {};
      const down = Object.entries(states).filter(([name, state]) => state === 'down' && !isVirtualLink(name)).map(([name]) => name);
      const evidence = [`interfaces down: ${down.length ? down.join(', ') : 'none'}`];
      const ip = internalIP(facts.node);
      if (ip) {
        const link = host.routes.find((r) => !isDefaultRoute(r) && r.gateway === '0.0.0.0' && containsAddress(parseCidr(`${r.destination}/${r.prefix}`), ip));
        if (link && !usable(states[link.iface])) {
          evidence.push(`the InternalIP ${ip} is on ${link.iface}, which is ${states[link.iface] ?? 'missing'}`);
          return measured(finding.fail(`${link.iface}, the interface of the node's InternalIP, is down`, evidence, BRING_UP.replace(/<iface>/g, link.iface)), {
            present: usableDefaultRoute(host) ? 1 : 0,
          });
        }
      }
      const defaults = host.routes.filter((r) => isDefaultRoute(r) && r.up);
      const present = { present: usableDefaultRoute(host) ? 1 : 0 };
      if (defaults.length === 0) {
        const cause = down.length ? `; ${down.join(', ')} ${down.length > 1 ? 'are' : 'is'} down` : '';
        evidence.unshift('/proc/net/route: no default route');
        return measured(finding.fail(`no default route${cause}`, evidence, BRING_UP.replace(/<iface>/g, down[0] ?? '<iface>')), present);
      }
      const route = defaults.find((r) => usable(states[r.iface])) ?? defaults[0];
      evidence.unshift(`/proc/net/route: default via ${route.gateway} dev ${route.iface} (${states[route.iface] ?? 'no operstate'})`);
      if (!usable(states[route.iface])) {
        return measured(finding.fail(`the default route's interface ${route.iface} is ${states[route.iface] ?? 'missing'}`, evidence, BRING_UP.replace(/<iface>/g, route.iface)), present);
      }
      return measured(finding.ok(`default via ${route.gateway} dev ${route.iface}`, evidence), present);
    }
    if (host && facts.unavailable.routes) return finding.unknown('the routing table could not be read', unavailableEvidence(facts, ['routes']));
    const clues = cluesOf(facts);
    if (clues.noDefaultRoute) {
      return measured(finding.fail('no default route (the CNI says so)', [clues.evidence.noDefaultRoute!], BRING_UP), { present: 0 });
    }
    if (clues.apiUnreachable) {
      return finding.fail(
        `no route to the API service ${clues.apiUnreachable}: the default route is missing or its NIC is down`,
        [clues.evidence.apiUnreachable!],
        BRING_UP,
      );
    }
    return finding.unknown('the routing table is not visible through the API', [], hostFactRemedy(facts));
  },
};
