import { cniAgent } from '../cni/cni';
import { defineCheck, found, unavailableEvidence } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { isVirtualLink, usableDefaultRoute, usableState } from '../host/network';
import { cluesOf } from '../kube/clues';
import { internalIP, podReady } from '../kube/objects';
import type { LinkConfig } from '../parsers/link-config';
import { isDefaultRoute } from '../parsers/proc-net-route';
import { hostFactRemedy } from '../remedy/agent';
import { containsAddress, parseCidr } from '../util/cidr';

/** The commands that bring `iface` up now and at every boot, for the tool that manages it. */
function bringUp(a: { node: string; iface: string; config?: LinkConfig }): string {
  const { node, iface, config } = a;
  const check = 'then check: ip route show default';
  switch (config?.manager) {
    case 'netplan':
      return `On ${node}: netplan apply (${iface} is configured in ${config.file}); ${check}`;
    case 'network-scripts':
      return `On ${node}: ${config.onBoot === false ? `sed -i 's/^ONBOOT=.*/ONBOOT=yes/' ${config.file} && ` : ''}ifup ${iface}; ${check}`;
    case 'NetworkManager': {
      const name = config.connection ?? iface;
      return `On ${node}: nmcli connection up '${name}'${config.onBoot === false ? ` && nmcli connection modify '${name}' connection.autoconnect yes` : ''}; ${check}`;
    }
    case 'ifupdown':
      return `On ${node}: ${config.onBoot === false ? `echo 'auto ${iface}' >> ${config.file} && ` : ''}ifup ${iface}; ${check}`;
    case 'systemd-networkd':
      return `On ${node}: networkctl up ${iface} (configured in ${config.file}); ${check}`;
    default:
      return (
        `On ${node}: ip link set ${iface} up; ${check}. To keep it up at boot, find what manages ${iface}: ` +
        `nmcli -t -f DEVICE,CONNECTION device status; ls /etc/netplan /etc/sysconfig/network-scripts /etc/network/interfaces /etc/systemd/network`
      );
  }
}

/** When only the API speaks: find the interface first, then bring it up with its own tool. */
const FIND_DOWN_LINK = (node: string) =>
  `On ${node}: ip -br link (the interface that is DOWN) and ip route show default; bring that interface up with the tool that manages it (netplan apply; nmcli connection up; ifup) and make it come up at boot. ` +
  `The netcheck agent on ${node} names the interface and the command.`;

const findings = {
  ok: { status: 'ok', summary: (a: { gateway: string; iface: string }) => `default via ${a.gateway} dev ${a.iface}` },
  internalIpLinkDown: {
    status: 'fail',
    summary: (a: { node: string; iface: string; state: string; config?: LinkConfig }) => `${a.iface}, the interface of the node's InternalIP, is ${a.state}`,
    remedy: bringUp,
  },
  routeLinkDown: {
    status: 'fail',
    summary: (a: { node: string; iface: string; state: string; config?: LinkConfig }) => `the default route's interface ${a.iface} is ${a.state}`,
    remedy: bringUp,
  },
  noRouteLinkDown: {
    status: 'fail',
    summary: (a: { node: string; iface: string; down: string; config?: LinkConfig }) => `no default route; ${a.down}`,
    remedy: bringUp,
  },
  noRoute: {
    status: 'fail',
    summary: () => 'no default route, and no interface is down',
    remedy: (a: { node: string }) =>
      `On ${a.node}: the default route is missing from the network configuration, not from a down link: find the gateway (ip -4 route; nmcli -f IP4.GATEWAY device show; cat /etc/netplan/*.yaml) and add it where the interface is configured, then reapply (netplan apply, nmcli connection up, or ifup).`,
  },
  cniSaysNoRoute: { status: 'fail', summary: () => 'no default route (the CNI says so)', remedy: (a: { node: string }) => FIND_DOWN_LINK(a.node) },
  apiUnreachable: {
    status: 'fail',
    summary: (a: { node: string; address: string }) => `no route to the API service ${a.address}: the default route is missing or its NIC is down`,
    remedy: (a: { node: string; address: string }) => FIND_DOWN_LINK(a.node),
  },
  unreadable: { status: 'unknown', summary: () => 'the routing table could not be read' },
  notVisible: { status: 'unknown', summary: () => 'the routing table is not visible through the API', remedy: (a: { hint?: string }) => a.hint },
} as const;

export const defaultRoute = defineCheck({
  id: 'default-route',
  title: 'The host has a default route on an interface that is up',
  question: 'Does the host have a default route on an interface that is up?',
  column: 'ROUTE',
  rank: 10,
  explains: ['kubelet-ready', 'flannel-subnet-env', 'bgp-established', 'cni-ready', 'api-service'],
  needs: ['routes', 'interfaces', 'linkConfig', 'node', 'cniLogs', 'agent'],
  // The CNI's log says "Unable to find default route" or "network is unreachable" only when it is not Ready.
  fetchWhen: { cniLogs: (f) => !!cniAgent(f.pods) && !podReady(cniAgent(f.pods)!.pod) },
  seenBest: 'host',
  findings,
  evaluate(facts: NodeFacts) {
    const host = facts.host;
    const node = facts.nodeName;
    if (host?.routes) {
      const states = host.interfaces ?? {};
      const config = (iface: string) => host.linkConfig?.[iface];
      const down = Object.entries(states)
        .filter(([name, state]) => state === 'down' && !isVirtualLink(name))
        .map(([name]) => name);
      const evidence = [`interfaces down: ${down.length ? down.join(', ') : 'none'}`];
      const present = { present: usableDefaultRoute(host) ? 1 : 0 };
      const managed = (iface: string) => {
        const c = config(iface);
        if (c) evidence.push(`${iface} is managed by ${c.manager} (${c.file}${c.connection ? `, connection ${c.connection}` : ''}${c.onBoot === false ? ', not brought up at boot' : ''})`);
      };
      const ip = internalIP(facts.node);
      if (ip) {
        const link = host.routes.find((r) => !isDefaultRoute(r) && r.gateway === '0.0.0.0' && containsAddress(parseCidr(`${r.destination}/${r.prefix}`), ip));
        if (link && !usableState(states[link.iface])) {
          evidence.push(`the InternalIP ${ip} is on ${link.iface}, which is ${states[link.iface] ?? 'missing'}`);
          managed(link.iface);
          return found(findings, 'internalIpLinkDown', { node, iface: link.iface, state: states[link.iface] ?? 'missing', config: config(link.iface) }, evidence, present);
        }
      }
      const defaults = host.routes.filter((r) => isDefaultRoute(r) && r.up);
      if (defaults.length === 0) {
        evidence.unshift('/proc/net/route: no default route');
        if (down.length) {
          managed(down[0]);
          return found(findings, 'noRouteLinkDown', { node, iface: down[0], down: `${down.join(', ')} ${down.length > 1 ? 'are' : 'is'} down`, config: config(down[0]) }, evidence, present);
        }
        return found(findings, 'noRoute', { node }, evidence, present);
      }
      const route = defaults.find((r) => usableState(states[r.iface])) ?? defaults[0];
      evidence.unshift(`/proc/net/route: default via ${route.gateway} dev ${route.iface} (${states[route.iface] ?? 'no operstate'})`);
      if (!usableState(states[route.iface])) {
        managed(route.iface);
        return found(findings, 'routeLinkDown', { node, iface: route.iface, state: states[route.iface] ?? 'missing', config: config(route.iface) }, evidence, present);
      }
      return found(findings, 'ok', { gateway: route.gateway, iface: route.iface }, evidence, present);
    }
    if (host && facts.unavailable.routes) return found(findings, 'unreadable', {}, unavailableEvidence(facts, ['routes']));
    const clues = cluesOf(facts);
    if (clues.noDefaultRoute) return found(findings, 'cniSaysNoRoute', { node }, [clues.evidence.noDefaultRoute!], { present: 0 });
    if (clues.apiUnreachable) return found(findings, 'apiUnreachable', { node, address: clues.apiUnreachable }, [clues.evidence.apiUnreachable!]);
    return found(findings, 'notVisible', { hint: hostFactRemedy(facts) });
  },
  metrics: [{ name: 'netcheck_default_route_present', help: '1 when the host has a default route on an interface that is up, 0 when not', measure: 'present' }],
  alerts: [
    {
      name: 'NetcheckDefaultRouteMissing',
      severity: 'critical',
      for: 'fast',
      expr: (q) => `${q.sel('netcheck_default_route_present')} == 0`,
      summary: 'A node has no default route on an interface that is up.',
      description:
        'Root cause on node {{ $labels.node }}: the host has no usable default route (its NIC is down or the route is missing), so its CNI cannot reach the API service and new pods there get no network. The CNI alerts of this node wait behind this one.',
      fires: { netcheck_default_route_present: 0, 'netcheck_check_status{check="default-route",status="fail"}': 1 },
      coversFailure: true,
    },
    {
      name: 'NetcheckNodeInterfaceDown',
      severity: 'critical',
      for: 'fast',
      // The default route is there, but the interface of the node's InternalIP is down.
      expr: (q) => `${q.sel('netcheck_default_route_present')} == 1 and on (${q.by}) ${q.status('default-route', 'fail')}`,
      summary: "The interface of a node's InternalIP is down.",
      // Prometheus scrapes the agent on that very address (hostNetwork): this fires only while the
      // agent is still reached another way; otherwise NetcheckNodeUnreachable pages.
      description:
        'The interface carrying the InternalIP of node {{ $labels.node }} is down while the agent can still be scraped: other nodes and the control plane cannot reach the node, nor its pods.',
      fires: { netcheck_default_route_present: 1, 'netcheck_check_status{check="default-route",status="fail"}': 1 },
      coversFailure: true,
    },
  ],
});
