import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import yaml from 'js-yaml';
import { DEFAULT_CONFIG, renderAlerts } from '../../alerts/mixin';
import { DASHBOARDS } from '../../dashboards/dashboards';
import { CHECK_FAMILIES } from '../../exporter/metrics';
import { CHECK_IDS, CHECKS } from '../../src/checks';
import { generatedFiles } from '../../tools/generate';

const ROOT = path.resolve(__dirname, '../..');
const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8' });

/** Metric families the exporter serves; docs/metrics.md is checked against a live scrape elsewhere. */
const EXPORTED = [...fs.readFileSync(path.join(ROOT, 'docs/metrics.md'), 'utf8').matchAll(/^\| `(netcheck_[a-z_]+)` \|/gm)].map((m) => m[1]);
const EXTERNAL = ['up', 'kube_node_info']; // from Prometheus itself and kube-state-metrics

function metricNames(expr: string): string[] {
  return [...expr.replace(/"[^"]*"/g, '""').matchAll(/\b([a-z_][a-z0-9_]*)\s*(?=\{|\)|$| |==|<|>)/g)].map((m) => m[1]).filter((n) => n.startsWith('netcheck_') || EXTERNAL.includes(n));
}

const ALERTS = renderAlerts().map((a) => a.rule);

describe('alerts', () => {
  test('promtool check rules and promtool test rules pass', () => {
    const check = run('promtool', ['check', 'rules', 'alerts/netcheck.rules.yaml']);
    expect(check.stdout + check.stderr).toMatch(new RegExp(`SUCCESS: ${ALERTS.length} rules found`));
    const unit = run('promtool', ['test', 'rules', 'alerts/tests.yaml']);
    expect(unit.stdout + unit.stderr).toMatch(/SUCCESS/);
    expect(unit.status).toBe(0);
  });

  test('every alert has its tests, a severity, a runbook_url, and a runbook page with the four sections', () => {
    const tests = fs.readFileSync(path.join(ROOT, 'alerts/tests.yaml'), 'utf8');
    for (const a of ALERTS) {
      expect(a.alert).toMatch(/^Netcheck[A-Z][A-Za-z]+$/);
      expect(tests).toContain(`alertname: ${a.alert}`);
      expect(['critical', 'warning']).toContain(a.labels.severity);
      expect(a.annotations.runbook_url).toBe(`${DEFAULT_CONFIG.runbookUrlBase}/${a.alert}.md`);
      const runbook = fs.readFileSync(path.join(ROOT, `docs/runbooks/${a.alert}.md`), 'utf8');
      for (const section of ['## Meaning', '## Impact', '## Diagnosis', '## Mitigation']) expect(runbook).toContain(section);
      expect(runbook).toContain('kubectl netcheck node <node>');
    }
    expect(fs.readdirSync(path.join(ROOT, 'docs/runbooks')).sort()).toEqual(ALERTS.map((a) => `${a.alert}.md`).sort());
  });

  test('every aggregation and join keeps the cluster label, and every selector carries the job selector', () => {
    for (const a of ALERTS) {
      for (const clause of a.expr.match(/\b(?:by|on) \([^)]*\)/g) ?? []) expect([a.alert, clause]).toEqual([a.alert, expect.stringMatching(/\(cluster, node\)/)]);
      for (const name of metricNames(a.expr).filter((n) => n.startsWith('netcheck_') || n === 'up')) expect(a.expr).toContain(`${name}{job="netcheck-agent"`);
    }
  });

  test('the mixin renders for another config: selector, cluster label, runbook base and durations are all taken from it', () => {
    const cfg = {
      ...DEFAULT_CONFIG,
      selector: 'job="nc",namespace="monitoring"',
      clusterLabel: 'k8s_cluster',
      runbookUrlBase: 'https://runbooks.example/netcheck',
      for: { ...DEFAULT_CONFIG.for, fast: '2m' },
    };
    const rules = renderAlerts(cfg).map((a) => a.rule);
    for (const r of rules) {
      expect(r.expr).not.toContain('job="netcheck-agent"');
      expect(r.expr).not.toMatch(/\(cluster, node\)/);
      expect(r.annotations.runbook_url).toMatch(/^https:\/\/runbooks\.example\/netcheck\//);
    }
    expect(rules.find((r) => r.alert === 'NetcheckCNINotReady')!).toMatchObject({ for: '2m', expr: 'netcheck_cni_ready{job="nc",namespace="monitoring"} == 0' });
    expect(rules.find((r) => r.alert === 'NetcheckAgentAbsent')!.expr).toContain('count by (k8s_cluster, node)');
  });

  test('alerts only reference metrics the exporter exports (or Prometheus and kube-state-metrics)', () => {
    for (const a of ALERTS) for (const name of metricNames(a.expr)) expect([...EXPORTED, ...EXTERNAL]).toContain(name);
  });

  test('amtool routes critical to the pager and warning to tickets; a root cause inhibits its symptoms on the same node', () => {
    const route = (label: string) => run('amtool', ['config', 'routes', 'test', '--config.file=alerts/alertmanager.yml', label]).stdout.trim();
    expect(route('severity=critical')).toBe('oncall-pager');
    expect(route('severity=warning')).toBe('ticket');
    expect(run('amtool', ['check-config', 'alerts/alertmanager.yml']).status).toBe(0);
    const am = yaml.load(fs.readFileSync(path.join(ROOT, 'alerts/alertmanager.yml'), 'utf8')) as { inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[] };
    const kubelet = am.inhibit_rules.find((r) => r.source_matchers.includes('check="kubelet-ready"'))!;
    expect(kubelet.target_matchers[0]).toMatch(/cni-ready/);
    expect(kubelet.equal).toEqual(['cluster', 'node']);
    expect(am.inhibit_rules.find((r) => r.source_matchers.includes('alertname="KubeNodeNotReady"'))).toBeDefined();
  });
});

describe('generated artefacts', () => {
  test('every committed file derived from code matches its source (make generate leaves git clean)', () => {
    for (const [file, content] of Object.entries(generatedFiles())) expect([file, fs.readFileSync(path.join(ROOT, file), 'utf8')]).toEqual([file, content]);
  });
});

describe('dashboards', () => {
  type AnyPanel = {
    type: string;
    title: string;
    description?: string;
    datasource?: { uid?: string };
    fieldConfig?: { defaults?: { unit?: string } };
    targets?: { expr: string; refId?: string }[];
    gridPos?: object;
  };
  const panelsOf = (d: (typeof DASHBOARDS)[number]) => (d.panels ?? []) as AnyPanel[];

  test("validate against Grafana's dashboard schema (the Foundation SDK's types, generated from Grafana's CUE), targets against Prometheus' query schema", () => {
    const schemaOf = (file: string, type: string) => {
      const out = spawnSync(
        path.join(ROOT, 'node_modules/.bin/ts-json-schema-generator'),
        ['--path', path.join(ROOT, 'node_modules/@grafana/grafana-foundation-sdk/dist', file), '--type', type, '--no-type-check'],
        { encoding: 'utf8', maxBuffer: 1 << 26 },
      );
      expect(out.stderr).toBe('');
      return JSON.parse(out.stdout) as { definitions: Record<string, object> };
    };
    const schema = schemaOf('dashboard/types.gen.d.ts', 'Dashboard');
    const prometheus = schemaOf('prometheus/types.gen.d.ts', 'Dataquery');
    // Grafana's Dataquery is open to every datasource's query: ours are Prometheus queries.
    const prefixed = (v: object) => JSON.parse(JSON.stringify(v).replace(/#\/definitions\//g, '#/definitions/Prometheus'));
    for (const [k, v] of Object.entries(prometheus.definitions)) schema.definitions[k === 'Dataquery' ? 'Dataquery' : `Prometheus${k}`] = prefixed(v);
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    for (const d of DASHBOARDS) {
      const json = JSON.parse(fs.readFileSync(path.join(ROOT, `dashboards/${d.uid}.json`), 'utf8'));
      expect([d.uid, validate(json) ? [] : validate.errors]).toEqual([d.uid, []]);
    }
  }, 30_000);

  test('complete as Grafana expects: uid, title, tags, timezone, shared crosshair, annotations, links, variables', () => {
    for (const d of DASHBOARDS) {
      expect(d).toMatchObject({ timezone: 'browser', graphTooltip: 1, editable: true, tags: expect.arrayContaining(['netcheck']) });
      expect(d.uid).toMatch(/^netcheck-/);
      expect(d.annotations?.list?.map((a) => a.name)).toEqual(['Annotations & Alerts', 'netcheck alerts']);
      expect(d.templating?.list?.map((v) => v.name)).toEqual(['datasource', 'cluster', 'node']);
      expect(d.links?.length).toBe(1);
    }
    const [overview, node] = DASHBOARDS;
    expect(overview.links![0].url).toBe('/d/netcheck-node/netcheck-node');
    expect(node.links![0]).toMatchObject({ url: '/d/netcheck-overview/netcheck-overview', includeVars: true, keepTime: true });
    const tableLinks = JSON.stringify(panelsOf(overview).filter((p) => p.type === 'table'));
    expect(tableLinks).toContain('/d/netcheck-node/netcheck-node?var-node=');
    expect(tableLinks).toContain('var-cluster');
    expect(panelsOf(node).some((p) => p.type === 'state-timeline')).toBe(true);
    expect(panelsOf(node).find((p) => p.title === 'BGP peers')?.type).toBe('table');
  });

  test('every panel has a description, the datasource variable, a unit where it plots numbers, and queries that keep the cluster', () => {
    for (const d of DASHBOARDS) {
      for (const p of panelsOf(d).filter((p) => p.type !== 'row')) {
        expect([p.title, (p.description ?? '').length > 20]).toEqual([p.title, true]);
        if (p.type === 'timeseries' || p.type === 'stat') expect([p.title, p.fieldConfig?.defaults?.unit]).toEqual([p.title, expect.any(String)]);
        for (const t of p.targets ?? []) {
          expect(t.refId).toMatch(/^[A-Z]$/);
          expect(t.expr).toContain('cluster=~"$cluster"');
          if (/\b(rate|increase|changes)\(/.test(t.expr)) expect(t.expr).toMatch(/\[(\$__rate_interval|1h)\]/);
          for (const m of t.expr.match(/\b(?:by|on) \([^)]*\)/g) ?? []) expect([p.title, m]).toEqual([p.title, expect.stringContaining('cluster')]);
          for (const name of metricNames(t.expr)) expect([...EXPORTED, 'process_start_time_seconds', 'process_resident_memory_bytes']).toContain(name);
        }
      }
    }
  });

  test('a panel for every per-check metric, from the registry', () => {
    const titles = JSON.stringify(DASHBOARDS.map(panelsOf));
    for (const f of CHECK_FAMILIES) expect(titles).toContain(f.name);
  });
});

describe('one check, one file', () => {
  // Outside src/checks/, a check id or a per-check metric name is only ever derived from the registry.
  const SOURCES = ['src', 'plugin', 'exporter', 'alerts', 'dashboards', 'tools'];
  const generatedOrTest = /^(src\/checks\/|src\/parsers\/|alerts\/.*\.(yaml|yml|md)$|dashboards\/.*\.json$)/;
  const files = SOURCES.flatMap((dir) => fs.readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' }).map((f) => `${dir}/${f}`)).filter(
    (f) => /\.(ts|mjs)$/.test(f) && !generatedOrTest.test(f),
  );

  test('no check id and no per-check metric name is written by hand outside src/checks/', () => {
    const names = [...CHECK_IDS, ...CHECK_FAMILIES.map((f) => f.name)];
    const offenders = files.flatMap((f) => {
      // Flag names that happen to equal a check id (kube-controller-manager's --cluster-cidr) are not ids.
      // Nor is the `peers` fact (every node of the cluster), older than the `peers` check.
      const text = fs
        .readFileSync(path.join(ROOT, f), 'utf8')
        .replace(/flags\[['"][^'"]+['"]\]/g, '')
        .replace(/(wanted\.has\(|\| |attempt\(unavailable, |COSTLY_FACTS = \[)'peers'/g, '');
      return names.filter((n) => new RegExp(`['"\`]${n.replace(/[-]/g, '\\-')}['"\`]|\b${n}{`).test(text)).map((n) => `${f}: ${n}`);
    });
    expect(offenders).toEqual([]);
  });

  test('every check has its face: a column, a rank, a question, findings, a runbook beside it', () => {
    const ranks = new Set<number>();
    for (const c of CHECKS) {
      expect([c.id, c.column]).toEqual([c.id, expect.stringMatching(/^[A-Z][A-Z-]+$/)]);
      expect(ranks.has(c.rank)).toBe(false);
      ranks.add(c.rank);
      expect(c.question.length).toBeGreaterThan(20);
      expect(Object.keys(c.findings).length).toBeGreaterThan(0);
      const runbook = fs.readFileSync(path.join(ROOT, `src/checks/${c.id}.md`), 'utf8');
      for (const section of ['## Meaning', '## Impact', '## Diagnosis', '## Mitigation']) expect([c.id, runbook.includes(section)]).toEqual([c.id, true]);
      for (const m of c.metrics) expect(m.name).toMatch(/^netcheck_[a-z_]+$/);
    }
  });
});

describe('deploy/', () => {
  type Obj = { kind: string; metadata: { name: string; labels?: Record<string, string> }; [k: string]: any };
  const render = (dir: string) => {
    const out = run('kubectl', ['kustomize', dir]);
    expect(out.stderr).toBe('');
    return yaml.loadAll(out.stdout) as Obj[];
  };
  /** The overlay a test needs, written next to the repo's deploy/ so relative paths resolve. */
  const overlay = (components: string[]) => {
    const dir = fs.mkdtempSync(path.join(ROOT, 'deploy/overlays/.test-'));
    fs.writeFileSync(path.join(dir, 'kustomization.yaml'), yaml.dump({ resources: ['../../base'], components: components.map((c) => `../../components/${c}`) }));
    try {
      return render(dir);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  };

  test('the base applies on any cluster: no Prometheus Operator or Grafana objects, everything in namespace netcheck', () => {
    const objects = render('deploy/');
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'ClusterRole',
      'ClusterRole',
      'ClusterRoleBinding',
      'CustomResourceDefinition',
      'DaemonSet',
      'Namespace',
      'ServiceAccount',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ]);
    const ns = objects.find((o) => o.kind === 'Namespace')!;
    expect(ns.metadata.labels!['pod-security.kubernetes.io/enforce']).toBe('privileged');
    for (const o of objects.filter((o) => ['ServiceAccount', 'DaemonSet'].includes(o.kind))) expect(o.metadata).toMatchObject({ namespace: 'netcheck' });
  });

  test('the kube-prometheus overlay adds the PodMonitor, the PrometheusRule and the dashboards ConfigMap', () => {
    const objects = render('deploy/overlays/kube-prometheus');
    expect(
      objects
        .filter((o) => ['PodMonitor', 'PrometheusRule', 'ConfigMap'].includes(o.kind))
        .map((o) => o.kind)
        .sort(),
    ).toEqual(['ConfigMap', 'PodMonitor', 'PrometheusRule']);
    expect(objects.find((o) => o.kind === 'ConfigMap')!.metadata.labels!.grafana_dashboard).toBe('1');
  });

  test("the agent's ClusterRole is minimal and never touches Secrets; reading reports is aggregated to view", () => {
    const role = render('deploy/').find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'netcheck-agent')!;
    for (const rule of role.rules) {
      expect(rule.resources).not.toContain('secrets');
      expect(rule.resources).not.toContain('*');
      expect(rule.verbs).not.toContain('*');
      expect(rule.verbs).not.toContain('delete');
    }
    const core = role.rules.filter((r: { apiGroups: string[] }) => r.apiGroups.includes(''));
    expect(core.map((r: { resources: string[]; verbs: string[] }) => `${r.resources.join()}:${r.verbs.join()}`).sort()).toEqual([
      'configmaps:get',
      'nodes:list,watch',
      'pods:list,watch',
      'services:get',
    ]);
    expect(core.find((r: { resources: string[] }) => r.resources.includes('configmaps'))).toMatchObject({ resourceNames: ['kube-flannel-cfg', 'kubeadm-config'] });
    const reports = role.rules.filter((r: { apiGroups: string[] }) => r.apiGroups.includes('netcheck.io'));
    expect(reports.map((r: { resources: string[]; verbs: string[] }) => `${r.resources.join()}:${r.verbs.join()}`)).toEqual(['nodereports:create,patch', 'nodereports/status:patch']);
    const view = render('deploy/').find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'netcheck-nodereports-view')!;
    expect(view.metadata.labels!['rbac.authorization.k8s.io/aggregate-to-view']).toBe('true');
    expect(view.rules).toEqual([{ apiGroups: ['netcheck.io'], resources: ['nodereports'], verbs: ['get', 'list', 'watch'] }]);
  });

  test('the NodeReport CRD: cluster-scoped, short name nr, status subresource, printer columns, a structural schema', () => {
    const crd = render('deploy/').find((o) => o.kind === 'CustomResourceDefinition')!;
    expect(crd.metadata.name).toBe('nodereports.netcheck.io');
    expect(crd.spec).toMatchObject({ group: 'netcheck.io', scope: 'Cluster', names: { kind: 'NodeReport', plural: 'nodereports', shortNames: ['nr'] } });
    const v = crd.spec.versions[0];
    expect(v).toMatchObject({ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
    expect(v.additionalPrinterColumns.filter((c: { priority?: number }) => !c.priority).map((c: { name: string }) => c.name)).toEqual(['Status', 'Root-Cause', 'Failing', 'Age']);
    // Structural: no field left untyped, nothing kept unknown.
    const walk = (schema: any, at: string): void => {
      expect([at, schema.type]).toEqual([at, expect.any(String)]);
      expect(schema['x-kubernetes-preserve-unknown-fields']).toBeUndefined();
      for (const [k, sub] of Object.entries(schema.properties ?? {})) if (!(at === '' && k === 'metadata')) walk(sub, `${at}.${k}`);
      if (schema.items) walk(schema.items, `${at}[]`);
    };
    walk(v.schema.openAPIV3Schema, '');
  });

  test('the DaemonSet runs as non-root with no capabilities, mounts the host read-only, and never creates a file on it', () => {
    const ds = render('deploy/').find((o) => o.kind === 'DaemonSet')!;
    const pod = ds.spec.template.spec;
    const container = pod.containers[0];
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(pod.priorityClassName).toBe('system-node-critical');
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532 });
    expect(pod.securityContext.supplementalGroups).toBeUndefined();
    expect(container.securityContext).toEqual({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] } });
    expect(container.volumeMounts.every((m: { readOnly: boolean }) => m.readOnly)).toBe(true);
    expect(pod.volumes.map((v: { hostPath: { type: string } }) => v.hostPath.type)).not.toContain('FileOrCreate');
    expect(pod.volumes.map((v: { hostPath: { path: string } }) => v.hostPath.path)).not.toContain('/');
    expect(container.env).toEqual([{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }]);
    expect(container.ports).toEqual([{ name: 'metrics', containerPort: 9742, protocol: 'TCP' }]);
    expect(container.resources.limits).toEqual({ cpu: '200m', memory: '128Mi' });
    expect(ds.spec.template.metadata.labels['app.kubernetes.io/name']).toBe('netcheck-agent');
    // One scrape path: the PodMonitor (or the plain Prometheus config), never annotations as well.
    expect(ds.spec.template.metadata.annotations).toBeUndefined();
  });

  test("the cni-sockets component joins group 0 for BIRD's socket and narrows the kubelet mount to its config file", () => {
    const pod = overlay(['cni-sockets']).find((o) => o.kind === 'DaemonSet')!.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, supplementalGroups: [0] });
    expect(pod.volumes.find((v: { name: string }) => v.name === 'kubelet').hostPath).toEqual({ path: '/var/lib/kubelet/config.yaml', type: 'File' });
    expect(pod.containers[0].volumeMounts.find((m: { name: string }) => m.name === 'kubelet')).toEqual({ name: 'kubelet', mountPath: '/host/var/lib/kubelet/config.yaml', readOnly: true });
  });
});
