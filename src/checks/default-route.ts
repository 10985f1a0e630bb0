import { cniAgent } from '../cni/cni';
import { defineCheck, type FindingStep, found, unavailableEvidence } from '../core/check';
import type { NodeFacts } from '../core/facts';
import { isVirtualLink, usableDefaultRoute, usableState } from '../host/network';
import { cluesOf } from '../kube/clues';
import { podReady } from '../kube/objects';
import type { LinkConfig } from '../parsers/link-config';
import { isDefaultRoute, isOnLink, type Route, routeFamily } from '../parsers/proc-net-route';
import { hostFactRemedy } from '../remedy/agent';
import { plausibleIfName, shq, word } from '../remedy/shell';
import { containsAddress, parseCidr } from '../util/cidr';

type LinkArgs = { node: string; iface: string; config?: LinkConfig };

/**
 * The commands that bring `iface` up now and at every boot, for the tool that manages it. The
 * interface, file and connection names come from the host: each enters a command through shq().
 */
function bringUpSteps(a: LinkArgs): FindingStep[] {
  const { iface, config } = a;
  const check: FindingStep = { on: 'node', run: 'ip route show default; ip -6 route show default' };
  if (!plausibleIfName(iface)) return [{ on: 'node', run: 'ip -br link' }, check];
  switch (config?.manager) {
    case 'netplan':
      return [{ on: 'node', run: 'netplan apply' }, check];
    case 'network-scripts':
      return [...(config.onBoot === false ? [{ on: 'node' as const, run: `sed -i 's/^ONBOOT=.*/ONBOOT=yes/' ${shq(config.file)}` }] : []), { on: 'node', run: `ifup ${shq(iface)}` }, check];
    case 'NetworkManager': {
      const conn = config.connection ?? iface;
      const up: FindingStep = { on: 'node', run: `nmcli connection up ${shq(conn)}` };
      return config.onBoot === false ? [up, { on: 'node', run: `nmcli connection modify ${shq(conn)} connection.autoconnect yes` }, check] : [up, check];
    }
    case 'ifupdown': {
      const auto = `auto ${iface}`;
      return [...(config.onBoot === false ? [{ on: 'node' as const, run: `echo ${shq(auto)} >> ${shq(config.file)}` }] : []), { on: 'node', run: `ifup ${shq(iface)}` }, check];
    }
    case 'systemd-networkd':
      return [{ on: 'node', run: `networkctl up ${shq(iface)}` }, check];
    default:
      return [
        { on: 'node', run: `ip link set ${shq(iface)} up` },
        check,
        { on: 'node', run: 'nmcli -t -f DEVICE,CONNECTION device status; ls /etc/netplan /etc/sysconfig/network-scripts /etc/network/interfaces /etc/systemd/network' },
      ];
  }
}

/** The same, in words: which tool brings it up; the commands are the steps (prose carries no host text but plain names). */
function bringUp(a: LinkArgs): string {
  const { node, iface, config } = a;
  if (!plausibleIfName(iface))
    return `On ${node}: the interface's name is not one a command can take: list the links (the first step), bring the one that is DOWN up with the tool that manages it, then check the default route.`;
  const name = word(iface, 'the interface');
  if (!config)
    return `On ${node}: bring ${name} up (the first step), then check the default route (the second). To keep it up at boot, the last step shows what manages it (NetworkManager, netplan, network-scripts, ifupdown or systemd-networkd).`;
  const boot = config.onBoot === false ? ', make it come up at boot' : '';
  return `On ${node}: bring ${name} up with ${word(config.manager, 'the tool that manages it')}${boot} (the steps, in order), then check the default route (the last step).`;
}

/** When only the API speaks: find the interface first, then bring it up with its own tool. */
const FIND_DOWN_LINK = (node: string) =>
  `On ${node}: ip -br link (the interface that is DOWN) and ip route show default; bring that interface up with the tool that manages it (netplan apply; nmcli connection up; ifup) and make it come up at boot. ` +
  `The netcheck agent on ${node} names the interface and the command.`;
const FIND_DOWN_LINK_STEPS: FindingStep[] = [{ on: 'node', run: 'ip -br link; ip route show default; ip -6 route show default' }];

/** Every InternalIP of the node: one on single-stack nodes, one per family on dual-stack ones. */
const internalIPs = (node: NodeFacts['node']): string[] => (node?.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address);

const FILE = { 4: '/proc/net/route', 6: '/proc/net/ipv6_route' } as const;
const familyOf = (address: string): 4 | 6 => (address.includes(':') ? 6 : 4);

const findings = {
  ok: { status: 'ok', summary: (a: { gateway: string; iface: string }) => `default via ${a.gateway} dev ${a.iface}` },
  internalIpLinkDown: {
    status: 'fail',
    summary: (a: LinkArgs & { state: string }) => `${a.iface}, the interface of the node's InternalIP, is ${a.state}`,
    remedy: bringUp,
    steps: bringUpSteps,
  },
  routeLinkDown: {
    status: 'fail',
    summary: (a: LinkArgs & { state: string }) => `the default route's interface ${a.iface} is ${a.state}`,
    remedy: bringUp,
    steps: bringUpSteps,
  },
  noRouteLinkDown: {
    status: 'fail',
    summary: (a: LinkArgs & { down: string }) => `no default route; ${a.down}`,
    remedy: bringUp,
    steps: bringUpSteps,
  },
  noRoute: {
    status: 'fail',
    summary: () => 'no default route, and no interface is down',
    remedy: (a: { node: string }) =>
      `On ${a.node}: the default route is missing from the network configuration, not from a down link: find the gateway (ip route; ip -6 route; nmcli -f IP4.GATEWAY,IP6.GATEWAY device show; cat /etc/netplan/*.yaml) and add it where the interface is configured, then reapply (netplan apply, nmcli connection up, or ifup).`,
    steps: (): FindingStep[] => [{ on: 'node', run: 'ip route; ip -6 route; nmcli -f IP4.GATEWAY,IP6.GATEWAY device show' }],
  },
  familyMissing: {
    status: 'warn',
    summary: (a: { missing: string; have: string }) => `no ${a.missing} default route (the node has an ${a.missing} InternalIP; ${a.have})`,
    remedy: (a: { node: string; missing: string }) =>
      `On ${a.node}: ${a.missing} traffic beyond the node's own subnet has no way out (a dual-stack CNI such as flannel needs this route): add the ${a.missing} gateway where the interface is configured, then reapply; check with ${a.missing === 'IPv6' ? 'ip -6 route show default' : 'ip route show default'}.`,
    steps: (a: { missing: string }): FindingStep[] => [{ on: 'node', run: a.missing === 'IPv6' ? 'ip -6 route show default' : 'ip route show default' }],
  },
  cniSaysNoRoute: { status: 'fail', summary: () => 'no default route (the CNI says so)', remedy: (a: { node: string }) => FIND_DOWN_LINK(a.node), steps: () => FIND_DOWN_LINK_STEPS },
  apiUnreachable: {
    status: 'fail',
    summary: (a: { node: string; address: string }) => `no route to the API service ${a.address}: the default route is missing or its NIC is down`,
    remedy: (a: { node: string; address: string }) => FIND_DOWN_LINK(a.node),
    steps: () => FIND_DOWN_LINK_STEPS,
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
      // IPv4, IPv6-only and dual-stack: each of the node's InternalIPs, in its own family.
      const ips = internalIPs(facts.node);
      for (const ip of ips) {
        const link = host.routes.find(
          (r) => routeFamily(r) === familyOf(ip) && !isDefaultRoute(r) && !r.reject && isOnLink(r) && r.prefix > 0 && containsAddress(parseCidr(`${r.destination}/${r.prefix}`), ip),
        );
        if (link && !usableState(states[link.iface])) {
          evidence.push(`the InternalIP ${ip} is on ${link.iface}, which is ${states[link.iface] ?? 'missing'}`);
          managed(link.iface);
          return found(findings, 'internalIpLinkDown', { node, iface: link.iface, state: states[link.iface] ?? 'missing', config: config(link.iface) }, evidence, present);
        }
      }
      const defaults = host.routes.filter((r) => isDefaultRoute(r) && r.up);
      const read = host.routes.some((r) => r.family === 6) ? `${FILE[4]}, ${FILE[6]}` : FILE[4];
      if (defaults.length === 0) {
        evidence.unshift(`${read}: no default route`);
        if (down.length) {
          managed(down[0]);
          return found(findings, 'noRouteLinkDown', { node, iface: down[0], down: `${down.join(', ')} ${down.length > 1 ? 'are' : 'is'} down`, config: config(down[0]) }, evidence, present);
        }
        return found(findings, 'noRoute', { node }, evidence, present);
      }
      // The route of the InternalIP's family first: that is the one the node's traffic takes.
      const wanted = ips.length ? familyOf(ips[0]) : undefined;
      const ordered = [...defaults].sort((x, y) => Number(routeFamily(y) === wanted) - Number(routeFamily(x) === wanted));
      const route = ordered.find((r) => usableState(states[r.iface])) ?? ordered[0];
      const describe = (r: Route) => `${FILE[routeFamily(r)]}: default via ${r.gateway} dev ${r.iface} (${states[r.iface] ?? 'no operstate'})`;
      evidence.unshift(...ordered.map(describe));
      if (!usableState(states[route.iface])) {
        managed(route.iface);
        return found(findings, 'routeLinkDown', { node, iface: route.iface, state: states[route.iface] ?? 'missing', config: config(route.iface) }, evidence, present);
      }
      const missing = [...new Set(ips.map(familyOf))].filter((f) => !defaults.some((r) => routeFamily(r) === f && usableState(states[r.iface])));
      if (missing.length) {
        const name = missing[0] === 6 ? 'IPv6' : 'IPv4';
        return found(findings, 'familyMissing', { node, missing: name, have: `default via ${route.gateway} dev ${route.iface}` }, [...evidence, `InternalIPs: ${ips.join(', ')}`], present);
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
