import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import yaml from 'js-yaml';
import { fingerprint } from '../../exporter/publisher';
import type { NodeFacts } from '../../src/core/facts';
import { evaluateNode } from '../../src/engine';
import { readReportObject, reportObject } from '../../src/report/resource';
import { cniPod, event, facts, healthyHost, NOW, node } from '../helpers/objects';

const crd = yaml.load(fs.readFileSync(path.join(__dirname, '../../deploy/base/nodereport-crd.yaml'), 'utf8')) as any;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(crd.spec.versions[0].schema.openAPIV3Schema);

/** Scenarios across the checks: healthy, each seed incident's facts, no agent at all. */
const scenarios: Record<string, NodeFacts> = {
  healthy: facts({ node: node({ podCIDR: '10.244.1.0/24' }), pods: [cniPod('flannel')], host: healthyHost }),
  'nic down, subnet.env missing': facts({
    node: node({ podCIDR: '10.244.1.0/24' }),
    pods: [cniPod('flannel', { ready: false, waiting: 'CrashLoopBackOff', restarts: 5 })],
    host: { ...healthyHost, subnetEnv: null, routes: [], interfaces: { eth0: 'down' } },
  }),
  'swap on, kubelet gone': facts({
    node: node({ ready: 'Unknown', heartbeatAgo: 3600 }),
    pods: [cniPod('calico', { ready: false })],
    host: { ...healthyHost, swaps: [{ filename: '/dev/sda3', type: 'partition', sizeKiB: 27336 * 1024 }] },
  }),
  'no podCIDR': facts({
    node: node(),
    pods: [cniPod('flannel', { ready: false })],
    events: [event({ namespace: 'kube-system', name: 'x' }, 'FailedCreatePodSandBox', 'open /run/flannel/subnet.env: no such file or directory', 40)],
  }),
  'API only': facts({ node: node({ podCIDR: '10.244.1.0/24' }), pods: [cniPod('flannel')] }),
};

const meta = { observedAt: NOW, agentVersion: '0.1.0', heartbeatSeconds: 300, intervalSeconds: 30 };

describe('NodeReport objects', () => {
  test.each(Object.entries(scenarios))('the report of "%s" validates against the CRD schema and reads back as it was', (_name, f) => {
    const report = evaluateNode(f);
    const obj = reportObject(report, { ...meta, rootCause: report.rootCause });
    expect(validate(obj) ? [] : validate.errors).toEqual([]);
    const back = readReportObject(JSON.parse(JSON.stringify(obj)), report.node);
    // Every word re-rendered from code and params is the agent's own; an unknown keeps its evidence
    // but not its advice (that comes from the reader's own view, never from a report).
    const unadvised = report.checks.map(({ remedy, steps, ...c }) => (c.status === 'unknown' ? c : { ...c, ...(remedy ? { remedy } : {}), ...(steps ? { steps } : {}) }));
    expect(back.report.checks).toEqual(unadvised);
    expect(back.observedAt).toBe(NOW - (NOW % 1000));
    expect(back.staleAt - back.observedAt).toBe((300 + 60 + 30) * 1000);
  });

  test('evidence and text past the schema bounds are clipped before writing, so the API server accepts the report', () => {
    const report = evaluateNode(scenarios.healthy);
    report.checks[0].evidence = Array.from({ length: 100 }, (_, i) => `line ${i} ${'x'.repeat(3000)}`);
    report.checks[0].params = { name: 'y'.repeat(5000) };
    const obj = reportObject(report, meta);
    expect(validate(obj) ? [] : validate.errors).toEqual([]);
    expect(obj.status.checks[0].evidence).toHaveLength(32);
    expect(obj.status.checks[0].params?.[0].string).toHaveLength(1024);
  });

  test('whatever the API hands back, reading a report either works or fails with one line naming the object', () => {
    fc.assert(
      fc.property(fc.anything(), (junk) => {
        try {
          readReportObject(junk, 'n02');
          return true;
        } catch (e) {
          return (e as Error).message.startsWith('nodereport n02 cannot be read: ');
        }
      }),
    );
  });

  test('the write fingerprint does not change from one cycle to the next: only a real change is written', () => {
    // A later cycle on the same host: the clock moved, and so did the live counters (conntrack's
    // entry count within the same band) — neither is a change a person acts on.
    const COUNT = 'net.netfilter.nf_conntrack_count';
    fc.assert(
      fc.property(fc.constantFrom(...Object.values(scenarios)), fc.integer({ min: 1, max: 3600_000 }), fc.integer({ min: 0, max: 999 }), (f, later, moved) => {
        const sysctls = f.host?.sysctls;
        const count = Number(sysctls?.[COUNT]);
        const next = { ...f, now: f.now + later, ...(f.host && Number.isFinite(count) ? { host: { ...f.host, sysctls: { ...sysctls, [COUNT]: String(Math.max(0, count - 500) + moved) } } } : {}) };
        return fingerprint(evaluateNode(f)) === fingerprint(evaluateNode(next));
      }),
    );
  });

  test('the write fingerprint changes when a finding does', () => {
    const f = scenarios.healthy;
    const swapOn = { ...f, host: { ...f.host!, swaps: [{ filename: '/swap.img', type: 'file', sizeKiB: 2097148 }] } };
    expect(fingerprint(evaluateNode(f))).not.toBe(fingerprint(evaluateNode(swapOn)));
  });
});
