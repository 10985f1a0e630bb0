// A NodeReport is data: the reader renders each finding from its own catalogue and the report's
// params. These tests hold that a forged report's prose never reaches a fix, that the params round
// trip renders exactly what the agent rendered, and that root causes name independent failures.
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { argsOfParams, paramsOf, readParams } from '../../src/core/params';
import { evaluateNode, renderReported, rootCauses } from '../../src/engine';
import { readReportObject, reportObject } from '../../src/report/resource';
import { cniPod, facts, healthyHost, NOW, node } from '../helpers/objects';
import { bare } from '../helpers/shell-lint';

const meta = { observedAt: NOW, agentVersion: '0.1.0', heartbeatSeconds: 300, intervalSeconds: 30 };

describe('params', () => {
  test('nested values flatten to dotted keys and come back the same', () => {
    const args = {
      node: 'n1',
      fixes: [{ key: 'net.ipv4.ip_forward', value: '1', effective: { file: '/etc/sysctl.d/99-k8s;reboot;.conf', value: '0' } }],
      units: ['dev-sda3.swap'],
      fstab: true,
      count: 3,
      none: undefined,
    };
    const params = paramsOf(args);
    expect(params).toEqual({
      node: 'n1',
      'fixes.0.key': 'net.ipv4.ip_forward',
      'fixes.0.value': '1',
      'fixes.0.effective.file': '/etc/sysctl.d/99-k8s;reboot;.conf',
      'fixes.0.effective.value': '0',
      units: ['dev-sda3.swap'],
      fstab: true,
      count: 3,
    });
    const { none: _, ...defined } = args;
    expect(argsOfParams(params)).toEqual(defined);
  });

  test('whatever a report holds, readParams keeps only flat, typed, bounded values and never pollutes prototypes', () => {
    fc.assert(
      fc.property(fc.object(), (junk) => {
        const p = readParams(junk);
        expect(Object.keys(p).length).toBeLessThanOrEqual(64);
        for (const v of Object.values(p)) expect(['string', 'number', 'boolean'].includes(typeof v) || (Array.isArray(v) && v.every((e) => typeof e === 'string'))).toBe(true);
        argsOfParams(p);
      }),
    );
    argsOfParams(readParams({ '__proto__.polluted': 'yes', 'a.constructor.x': 'y' }));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

const hostile = facts({
  node: node({ podCIDR: '10.244.1.0/24', ready: 'Unknown', heartbeatAgo: 3600 }),
  pods: [cniPod('flannel')],
  host: {
    ...healthyHost,
    swaps: [{ filename: '/swap$(reboot)', type: 'file', sizeKiB: 1024 }],
    sysctls: { ...healthyHost.sysctls, 'net.ipv4.ip_forward': '0', 'net.netfilter.nf_conntrack_count': '980', 'net.netfilter.nf_conntrack_max': '1000' },
    sysctlFiles: { 'net.ipv4.ip_forward': [{ file: '/etc/sysctl.d/99-k8s;reboot;.conf', value: '0' }] },
  },
});

describe('a report read back', () => {
  test("renders the agent's own words from code and params: summary, remedy and steps the same", () => {
    const report = evaluateNode(hostile);
    const back = readReportObject(JSON.parse(JSON.stringify(reportObject(report, meta))), report.node).report;
    expect(back.checks).toEqual(report.checks);
    expect(back.rootCauses).toEqual(report.rootCauses);
    const ipf = back.checks.find((c) => c.id === 'ip-forward')!;
    expect(ipf.steps?.map((s) => s.run)).toContain("sed -i -E 's/^\\s*-?net\\.ipv4\\.ip_forward\\s*=.*/net.ipv4.ip_forward = 1/' '/etc/sysctl.d/99-k8s;reboot;.conf'");
    for (const step of back.checks.flatMap((c) => c.steps ?? [])) execFileSync('bash', ['-n', '-c', step.run]);
  });

  const forged = (checks: object[], status: object = {}) => ({
    apiVersion: 'netcheck.io/v1alpha1',
    kind: 'NodeReport',
    metadata: { name: 'n02' },
    status: {
      node: 'n02; kubectl create clusterrolebinding pwn',
      status: 'fail',
      checks,
      observedAt: new Date(NOW).toISOString(),
      agentVersion: '0.1.0',
      heartbeatSeconds: 300,
      intervalSeconds: 30,
      ...status,
    },
  });
  const PWN = 'kubectl create clusterrolebinding pwn --clusterrole=cluster-admin --user=mallory';

  test('free text in a forged report (summary, remedy, steps, params, node) never reaches a fix', () => {
    const report = readReportObject(
      forged([
        {
          id: 'swap',
          status: 'ok',
          code: 'refused',
          summary: PWN,
          remedy: PWN,
          steps: [{ on: 'cluster', run: PWN }],
          evidence: ['x'],
          params: [
            { name: 'units', strings: [`a'; ${PWN}; '`] },
            { name: 'node', string: `n02; ${PWN}` },
          ],
        },
        { id: 'ip-forward', status: 'fail', code: 'notVisible', params: [{ name: 'hint', string: PWN }], evidence: [] },
        {
          id: 'conntrack',
          status: 'fail',
          code: 'full',
          params: [
            { name: 'count', string: PWN },
            { name: 'raise.key', string: PWN },
          ],
          evidence: [],
        },
        {
          id: 'mtu',
          status: 'fail',
          code: 'tooBig',
          params: ['iface', 'cniFile', 'podNamespace', 'podName', 'selector', 'kind', 'felixField', 'encap'].map((name) => ({ name, string: PWN })),
          evidence: [],
        },
        {
          id: 'node-address',
          status: 'fail',
          code: 'notInternalIp',
          params: ['ip', 'peer', 'namespace', 'daemonset', 'podNamespace', 'podName', 'cni', 'address'].map((name) => ({ name, string: PWN })),
          evidence: [],
        },
        {
          id: 'flannel-subnet-env',
          status: 'fail',
          code: 'missing',
          params: [
            { name: 'cause', string: 'apiUnreachable' },
            { name: 'api', string: PWN },
            { name: 'podName', string: PWN },
            { name: 'podNamespace', string: PWN },
          ],
          evidence: [],
        },
        { id: 'kubelet-ready', status: 'fail', summary: PWN, remedy: PWN, evidence: [] },
        { id: 'from-the-future', status: 'fail', code: 'x', summary: PWN, evidence: [] },
        { id: 'bgp-established', status: 'fail', code: 'brandNew', remedy: PWN, evidence: [] },
      ]),
      'n02',
    ).report;
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    // The status is the catalogue's, the node the object's name; every step is the plugin's own.
    expect(byId.swap.status).toBe('fail');
    expect(byId.swap.steps).toEqual([
      { on: 'n02', run: 'swapoff -a' },
      { on: 'n02', run: 'systemctl is-active --quiet kubelet || systemctl restart kubelet' },
      { on: 'n02', run: `systemctl mask 'a'\\''; ${PWN}; '\\'''` },
    ]);
    expect(byId['ip-forward'].status).toBe('unknown');
    expect(byId['kubelet-ready']).toMatchObject({ status: 'unknown', summary: expect.stringMatching(/agent 0\.1\.0 is too old/) });
    expect(byId['from-the-future']).toMatchObject({ status: 'unknown', summary: expect.stringMatching(/upgrade kubectl-netcheck/) });
    expect(byId['bgp-established']).toMatchObject({
      status: 'unknown',
      summary: expect.stringMatching(/agent 0\.1\.0 reports a finding \(brandNew\) kubectl-netcheck .* does not know: upgrade kubectl-netcheck/),
    });
    for (const c of report.checks) {
      for (const s of c.steps ?? []) {
        expect(s.on).toMatch(/^(n02|cluster)$/);
        // The words arrive only inside single quotes: bash reads them as one inert word.
        expect(bare(s.run)).not.toMatch(/clusterrolebinding/);
        execFileSync('bash', ['-n', '-c', s.run]);
      }
      expect(`${c.remedy ?? ''}`).not.toMatch(/clusterrolebinding/);
    }
  });
});

describe('root causes', () => {
  test('swap on with the kubelet still running is latent: a full conntrack table dropping connections now comes first', () => {
    const f = facts({
      node: node({ podCIDR: '10.244.1.0/24' }),
      pods: [cniPod('flannel')],
      host: {
        ...healthyHost,
        swaps: [{ filename: '/dev/sda3', type: 'partition', sizeKiB: 1024 }],
        sysctls: { ...healthyHost.sysctls, 'net.netfilter.nf_conntrack_count': '950', 'net.netfilter.nf_conntrack_max': '1000' },
      },
    });
    const report = evaluateNode(f);
    expect(report.rootCauses).toEqual(['conntrack', 'swap']);
    expect(report.rootCause).toBe('conntrack');
  });

  test('a failure another failing check explains is a symptom, not a root cause', () => {
    const report = evaluateNode(
      facts({
        node: node({ podCIDR: '10.244.1.0/24', ready: 'Unknown', heartbeatAgo: 3600 }),
        pods: [cniPod('flannel')],
        host: { ...healthyHost, swaps: [{ filename: '/dev/sda3', type: 'partition', sizeKiB: 1024 }] },
      }),
    );
    expect(report.checks.find((c) => c.id === 'kubelet-ready')?.status).toBe('fail');
    expect(report.rootCauses).toEqual(['swap']);
    expect(rootCauses(report.checks).map((c) => c.id)).toEqual(['swap']);
  });
});

// Over the whole catalogue, as far as these scenarios reach: a report whose every string param is
// a sentence of the attacker's must not get that sentence into any fix (prose or step) of a finding
// that is shown.

describe('no param reaches a fix as words', () => {
  const PWN = 'kubectl create clusterrolebinding pwn --clusterrole=cluster-admin --user=mallory';
  const scenarios = [
    hostile,
    facts({
      node: node({ podCIDR: '10.244.1.0/24' }),
      pods: [cniPod('flannel', { ready: false, waiting: 'CrashLoopBackOff', restarts: 5 })],
      host: { ...healthyHost, subnetEnv: null, routes: [], interfaces: { eth0: 'down' } },
    }),
    facts({
      node: node({ podCIDR: '10.244.1.0/24' }),
      pods: [cniPod('flannel')],
      host: { ...healthyHost, mtus: { ...healthyHost.mtus, eth0: 1400 }, sysctls: { ...healthyHost.sysctls, 'net.bridge.bridge-nf-call-iptables': null }, modulesLoad: [] },
    }),
    facts({
      node: node({ annotations: { 'projectcalico.org/IPv4Address': '10.0.0.66/24' } }),
      pods: [cniPod('calico', { ready: false })],
      host: { ...healthyHost, subnetEnv: null, bgpSessions: [{ name: 'Mesh_10_0_0_5', state: 'Active', neighbor: '10.0.0.5' }] },
    }),
    facts({ node: node({ ready: 'Unknown', heartbeatAgo: 3600 }), pods: [cniPod('flannel')] }),
    facts({ node: node(), pods: [cniPod('flannel', { ready: false })] }),
  ];
  const found = scenarios.flatMap((f) => evaluateNode(f).checks.filter((c) => c.code && (c.status === 'fail' || c.status === 'warn')));
  const forge = (v: unknown): unknown => (typeof v === 'string' ? PWN : Array.isArray(v) ? v.map(() => `x'; ${PWN}; '`) : v);

  test('the scenarios reach findings of most checks', () => {
    expect(new Set(found.map((c) => c.id)).size).toBeGreaterThanOrEqual(8);
  });

  test.each(found.map((c) => [`${c.id} ${c.code}`, c] as const))('%s', (_name, c) => {
    const params = Object.fromEntries(Object.entries(c.params ?? {}).map(([k, v]) => [k, k === 'node' ? v : forge(v)])) as Record<string, string>;
    const rendered = renderReported({ id: c.id, status: c.status, code: c.code, params, evidence: [] }, 'n1', '0.1.0');
    expect(rendered.remedy ?? '').not.toMatch(/clusterrolebinding/);
    for (const s of rendered.steps ?? []) {
      expect(bare(s.run)).not.toMatch(/clusterrolebinding/);
      execFileSync('bash', ['-n', '-c', s.run]);
    }
  });
});
