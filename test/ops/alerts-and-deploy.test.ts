import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { ALERTS } from '../../alerts/rules';
import { DASHBOARDS } from '../../dashboards/dashboards';
import { generatedFiles } from '../../tools/generate';

const ROOT = path.resolve(__dirname, '../..');
const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8' });

/** Metric families the exporter serves; docs/metrics.md is checked against a live scrape elsewhere. */
const EXPORTED = [...fs.readFileSync(path.join(ROOT, 'docs/metrics.md'), 'utf8').matchAll(/^\| `(netcheck_[a-z_]+)` \|/gm)].map((m) => m[1]);
const EXTERNAL = ['up', 'kube_node_info']; // from Prometheus itself and kube-state-metrics

function metricNames(expr: string): string[] {
  return [...expr.replace(/"[^"]*"/g, '""').matchAll(/\b([a-z_][a-z0-9_]*)\s*(?=\{|\)|$| |==|<|>)/g)]
    .map((m) => m[1])
    .filter((n) => n.startsWith('netcheck_') || EXTERNAL.includes(n));
}

describe('alerts', () => {
  test('promtool check rules and promtool test rules pass', () => {
    const check = run('promtool', ['check', 'rules', 'alerts/netcheck.rules.yaml']);
    expect(check.stdout + check.stderr).toMatch(/SUCCESS: 13 rules found/);
    const unit = run('promtool', ['test', 'rules', 'alerts/tests.yaml']);
    expect(unit.stdout + unit.stderr).toMatch(/SUCCESS/);
    expect(unit.status).toBe(0);
  });

  test('every alert has a unit test, a severity, a runbook page with the four sections', () => {
    const tests = fs.readFileSync(path.join(ROOT, 'alerts/tests.yaml'), 'utf8');
    for (const a of ALERTS) {
      expect(tests).toContain(`alertname: ${a.alert}`);
      expect(['critical', 'warning']).toContain(a.severity);
      const runbook = fs.readFileSync(path.join(ROOT, `docs/runbooks/${a.alert}.md`), 'utf8');
      for (const section of ['## Meaning', '## Impact', '## Diagnosis', '## Mitigation']) expect(runbook).toContain(section);
      expect(runbook).toContain('kubectl netcheck node <node>');
    }
    expect(fs.readdirSync(path.join(ROOT, 'docs/runbooks')).sort()).toEqual(ALERTS.map((a) => `${a.alert}.md`).sort());
  });

  test('alerts only reference metrics the exporter exports', () => {
    for (const a of ALERTS) for (const name of metricNames(a.expr)) expect([...EXPORTED, ...EXTERNAL]).toContain(name);
  });

  test('amtool routes critical to the pager and warning to tickets', () => {
    const route = (label: string) => run('amtool', ['config', 'routes', 'test', '--config.file=alerts/alertmanager.yml', label]).stdout.trim();
    expect(route('severity=critical')).toBe('oncall-pager');
    expect(route('severity=warning')).toBe('ticket');
    expect(run('amtool', ['check-config', 'alerts/alertmanager.yml']).status).toBe(0);
  });
});

describe('generated artefacts', () => {
  test('the committed rule file, PrometheusRule, dashboards and ConfigMap match their source (make generate)', () => {
    for (const [file, content] of Object.entries(generatedFiles())) expect(fs.readFileSync(path.join(ROOT, file), 'utf8')).toBe(content);
  });
});

describe('dashboards', () => {
  test('every panel has a title, a description, the datasource variable, a unit and known metrics', () => {
    for (const d of DASHBOARDS) {
      expect(d.templating.list.map((v) => v.name)).toEqual(['datasource', 'cluster', 'node']);
      for (const p of d.panels) {
        expect(p.title).toBeTruthy();
        expect(p.description.length).toBeGreaterThan(20);
        expect(p.datasource.uid).toBe('${datasource}');
        expect(p.fieldConfig.defaults.unit).toBeTruthy();
        for (const t of p.targets) {
          expect(t.expr).toContain('cluster=~"$cluster"');
          if (/\brate\(|\bincrease\(/.test(t.expr)) expect(t.expr).toContain('[$__rate_interval]');
          for (const name of metricNames(t.expr)) expect(EXPORTED).toContain(name);
          expect(metricNames(t.expr).length).toBeGreaterThan(0);
        }
      }
    }
  });
});

describe('deploy/', () => {
  const rendered = () => {
    const out = run('kubectl', ['kustomize', 'deploy/']);
    expect(out.stderr).toBe('');
    return yaml.loadAll(out.stdout) as { kind: string; metadata: { name: string; labels?: Record<string, string> }; [k: string]: any }[];
  };

  test('kubectl kustomize renders every object into namespace netcheck, labelled privileged', () => {
    const objects = rendered();
    expect(objects.map((o) => o.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'DaemonSet', 'Namespace', 'PodMonitor', 'PrometheusRule', 'ServiceAccount']);
    const ns = objects.find((o) => o.kind === 'Namespace')!;
    expect(ns.metadata.labels!['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(objects.find((o) => o.kind === 'ConfigMap')!.metadata.labels!.grafana_dashboard).toBe('1');
  });

  test('the ClusterRole is read-only, minimal, and never touches Secrets', () => {
    const role = rendered().find((o) => o.kind === 'ClusterRole')!;
    for (const rule of role.rules) {
      expect(rule.verbs.every((v: string) => ['get', 'list', 'watch'].includes(v))).toBe(true);
      expect(rule.resources).not.toContain('secrets');
      expect(rule.resources).not.toContain('*');
    }
    expect(role.rules.flatMap((r: { resources: string[] }) => r.resources).sort()).toEqual(['configmaps', 'nodes', 'pods']);
    const configmaps = role.rules.find((r: { resources: string[] }) => r.resources.includes('configmaps'));
    expect(configmaps).toMatchObject({ verbs: ['get'], resourceNames: ['kube-flannel-cfg', 'kubeadm-config'] });
  });

  test('the DaemonSet runs hardened, with read-only host mounts, on every node', () => {
    const ds = rendered().find((o) => o.kind === 'DaemonSet')!;
    const pod = ds.spec.template.spec;
    const container = pod.containers[0];
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(pod.priorityClassName).toBe('system-node-critical');
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] } });
    expect(container.volumeMounts.every((m: { readOnly: boolean }) => m.readOnly)).toBe(true);
    expect(container.env).toEqual([{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }]);
    expect(container.ports).toEqual([{ name: 'metrics', containerPort: 9742, protocol: 'TCP' }]);
    expect(container.resources.limits).toBeDefined();
    expect(ds.spec.template.metadata.labels['app.kubernetes.io/name']).toBe('netcheck-agent');
    expect(ds.spec.template.metadata.annotations['prometheus.io/scrape']).toBe('true');
  });
});
