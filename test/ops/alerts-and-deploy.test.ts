import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import yaml from 'js-yaml';
import { type alertmanagerConfigResource, DEFAULT_CONFIG, EXTERNAL_EFFECTS, effectsOf, inhibitRules, recordingRules, renderAlerts, ruleGroups } from '../../alerts/mixin';
import { DASHBOARDS, dashboards } from '../../dashboards/dashboards';
import { CHECK_FAMILIES } from '../../exporter/metrics';
import { CHECK_IDS, CHECKS } from '../../src/checks';
import { generatedFiles } from '../../tools/generate';

const ROOT = path.resolve(__dirname, '../..');
const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8' });

/** Metric families the exporter serves; docs/metrics.md is checked against a live scrape elsewhere. */
const EXPORTED = [...fs.readFileSync(path.join(ROOT, 'docs/metrics.md'), 'utf8').matchAll(/^\| `(netcheck_[a-z_]+)` \|/gm)].map((m) => m[1]);
const EXTERNAL = ['up', 'kube_node_info', 'kube_node_status_condition']; // from Prometheus itself and kube-state-metrics

function metricNames(expr: string): string[] {
  return [...expr.replace(/"[^"]*"/g, '""').matchAll(/\b([a-z_][a-z0-9_]*)\s*(?=\{|\)|$| |==|<|>)/g)].map((m) => m[1]).filter((n) => n.startsWith('netcheck_') || EXTERNAL.includes(n));
}

const ALERTS = renderAlerts().map((a) => a.rule);

describe('alerts', () => {
  test('promtool check rules and promtool test rules pass', () => {
    const check = run('promtool', ['check', 'rules', 'alerts/netcheck.rules.yaml']);
    expect(check.stdout + check.stderr).toMatch(new RegExp(`SUCCESS: ${ALERTS.length + recordingRules().length} rules found`));
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
    expect(rules.find((r) => r.alert === 'NetcheckDefaultRouteMissing')!).toMatchObject({ for: '2m', expr: 'netcheck_default_route_present{job="nc",namespace="monitoring"} == 0' });
    expect(rules.find((r) => r.alert === 'NetcheckCNINotReady')!.expr).toMatch(/^\(netcheck_cni_ready\{job="nc",namespace="monitoring"\} == 0\) unless on \(k8s_cluster, node\) /);
    expect(rules.find((r) => r.alert === 'NetcheckAgentAbsent')!.expr).toContain('count by (k8s_cluster, node)');
  });

  test('alerts only reference metrics the exporter exports (or Prometheus and kube-state-metrics)', () => {
    for (const a of ALERTS) for (const name of metricNames(a.expr)) expect([...EXPORTED, ...EXTERNAL]).toContain(name);
  });

  test('amtool routes critical to the pager and warning to tickets, one notification per alert and cluster', () => {
    const route = (...labels: string[]) => run('amtool', ['config', 'routes', 'test', '--config.file=alerts/alertmanager.yml', ...labels]).stdout.trim();
    expect(route('severity=critical', 'alertname=NetcheckCNINotReady')).toBe('oncall-pager');
    expect(route('severity=warning', 'alertname=NetcheckSwapEnabled')).toBe('ticket');
    expect(run('amtool', ['check-config', 'alerts/alertmanager.yml']).status).toBe(0);
    const am = yaml.load(fs.readFileSync(path.join(ROOT, 'alerts/alertmanager.yml'), 'utf8')) as { route: { group_by: string[] } };
    // Not per node: a cluster-wide failure is one page listing its nodes.
    expect(am.route.group_by).toEqual(['cluster', 'alertname']);
  });

  describe('inhibitions, from the causal links only', () => {
    const am = yaml.load(fs.readFileSync(path.join(ROOT, 'alerts/alertmanager.yml'), 'utf8')) as { inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[] };
    const rules = am.inhibit_rules;
    const values = (matchers: string[], label: string) => {
      const m = matchers.map((x) => new RegExp(`^${label}(=~?)"(.*)"$`).exec(x)).find(Boolean);
      return m ? m[2].split('|') : undefined;
    };
    const severityOf = (name: string) => ALERTS.find((a) => a.alert === name)?.labels.severity;

    test('the shipped file is what the mixin renders', () => {
      expect(rules).toEqual(inhibitRules());
    });

    test('on the same node of the same cluster, never cluster-wide', () => {
      for (const r of rules) expect(r.equal).toEqual(['cluster', 'node']);
    });

    test('a cause mutes only what it explains (its explains, closed), never an unknown check as a cause', () => {
      for (const r of rules.filter((r) => values(r.source_matchers, 'check'))) {
        const targets = values(r.target_matchers, 'check');
        if (!targets) continue;
        for (const cause of values(r.source_matchers, 'check')!) for (const t of targets) expect([cause, t, effectsOf(cause).includes(t)]).toEqual([cause, t, true]);
        expect(values(r.source_matchers, 'alertname')).not.toContain('NetcheckCheckUnknown');
      }
      // The old linear order is gone: swap does not mute conntrack, the MTU nothing, cluster-cidr no page.
      const mutes = (check: string) => rules.filter((r) => values(r.source_matchers, 'check')?.includes(check)).flatMap((r) => values(r.target_matchers, 'check') ?? []);
      expect(mutes(CHECKS.find((c) => c.column === 'SWAP')!.id)).not.toContain(CHECKS.find((c) => c.column === 'CONNTRACK')!.id);
      expect(mutes(CHECKS.find((c) => c.column === 'MTU')!.id)).toEqual([]);
    });

    test('never a warning muting a critical', () => {
      for (const r of rules) {
        const sources = values(r.source_matchers, 'alertname')!;
        const declared = values(r.source_matchers, 'severity')![0];
        for (const s of sources) if (severityOf(s)) expect([s, severityOf(s)]).toEqual([s, declared]);
        if (declared === 'warning') expect(r.target_matchers).toContain('severity="warning"');
      }
    });

    test('KubeNodeNotReady mutes no netcheck alert; the netcheck alert that says why the node is NotReady mutes it', () => {
      for (const r of rules) expect(r.source_matchers.join()).not.toContain('KubeNodeNotReady');
      const muting = rules.filter((r) => r.target_matchers.includes('alertname="KubeNodeNotReady"')).flatMap((r) => values(r.source_matchers, 'alertname')!);
      expect(muting).toEqual(expect.arrayContaining(['NetcheckDefaultRouteMissing', 'NetcheckCNINotReady', 'NetcheckCheckFailing', 'NetcheckNodeUnreachable']));
      // A latent risk does not hide a node NotReady for another reason; nor does what cannot stop a node.
      expect(muting).not.toContain('NetcheckSwapEnabled');
      expect(muting).not.toContain('NetcheckConntrackTableFull');
      const generic = rules.find((r) => values(r.source_matchers, 'alertname')?.includes('NetcheckCheckFailing') && r.target_matchers.includes('alertname="KubeNodeNotReady"'))!;
      expect(values(generic.source_matchers, 'check')!.sort()).toEqual([...EXTERNAL_EFFECTS.KubeNodeNotReady.checks].sort());
      expect(Object.keys(EXTERNAL_EFFECTS)).toEqual(['KubeNodeNotReady']);
    });
  });

  test('severity per finding: swap is a latent risk (warning); an outage now pages', () => {
    const sev = (name: string) => ALERTS.find((a) => a.alert === name)!.labels.severity;
    expect(sev('NetcheckSwapEnabled')).toBe('warning');
    for (const name of ['NetcheckConntrackTableFull', 'NetcheckDefaultRouteMissing', 'NetcheckCNINotReady', 'NetcheckNodeUnreachable']) expect([name, sev(name)]).toEqual([name, 'critical']);
    // Agent-absent only where an agent should run: Linux, not virtual.
    expect(ALERTS.find((a) => a.alert === 'NetcheckAgentAbsent')!.expr).toContain('os_image!~"(?i)windows.*"');
  });

  test('the AlertmanagerConfig carries the same routing and the netcheck-to-netcheck inhibitions, in the CRD spelling', () => {
    const res = yaml.load(fs.readFileSync(path.join(ROOT, 'deploy/components/prometheus-operator/alertmanagerconfig.yaml'), 'utf8')) as ReturnType<typeof alertmanagerConfigResource>;
    expect(res.apiVersion).toBe('monitoring.coreos.com/v1alpha1');
    expect(res.spec.route.groupBy).toEqual(['cluster', 'alertname']);
    const receivers = res.spec.receivers.map((r) => r.name);
    for (const r of [res.spec.route, ...res.spec.route.routes]) expect(receivers).toContain((r as { receiver: string }).receiver);
    const netcheckOnly = inhibitRules().filter((r) => !r.target_matchers.some((m) => m.includes('KubeNodeNotReady')));
    expect(res.spec.inhibitRules.length).toBe(netcheckOnly.length);
    expect(res.spec.inhibitRules[0].sourceMatch[0]).toEqual({ name: 'alertname', value: expect.any(String), matchType: expect.stringMatching(/^=~?$/) });
    // Every alert of the PrometheusRule is labelled namespace="netcheck", so the operator's namespace matcher selects them.
    const rule = yaml.load(fs.readFileSync(path.join(ROOT, 'deploy/components/prometheus-operator/prometheusrule.yaml'), 'utf8')) as {
      spec: { groups: { rules: { alert?: string; labels?: Record<string, string> }[] }[] };
    };
    for (const r of rule.spec.groups.flatMap((g) => g.rules).filter((r) => r.alert)) expect([r.alert, r.labels!.namespace]).toEqual([r.alert, 'netcheck']);
  });

  test("the jsonnet mixin (Debian's jsonnet) renders the same alerts, recording rules and dashboards, and follows _config", () => {
    const render = (override: string) => {
      const out = run('jsonnet', ['-e', `local m = (import 'alerts/mixin.libsonnet') + ${override}; { alerts: m.prometheusAlerts, rules: m.prometheusRules, dashboards: m.grafanaDashboards }`]);
      expect(out.stderr).toBe('');
      return JSON.parse(out.stdout) as { alerts: unknown; rules: unknown; dashboards: Record<string, unknown> };
    };
    const expected = (cfg: typeof DEFAULT_CONFIG) => ({
      alerts: { groups: ruleGroups(cfg).filter((g) => g.name !== 'netcheck-cluster') },
      rules: { groups: [{ name: 'netcheck-cluster', rules: recordingRules(cfg) }] },
      dashboards: Object.fromEntries(dashboards(cfg).map((d) => [`${d.uid}.json`, JSON.parse(JSON.stringify(d))])),
    });
    expect(render('{}')).toEqual(JSON.parse(JSON.stringify(expected(DEFAULT_CONFIG))));
    const cfg = {
      ...DEFAULT_CONFIG,
      selector: 'job="nc",namespace="monitoring"',
      clusterLabel: 'k8s_cluster',
      runbookUrlBase: 'https://runbooks.example/netcheck',
      for: { ...DEFAULT_CONFIG.for, fast: '2m' },
    };
    const mine = render(`{ _config+:: { selector: 'job="nc",namespace="monitoring"', clusterLabel: 'k8s_cluster', runbookUrlBase: 'https://runbooks.example/netcheck', 'for'+: { fast: '2m' } } }`);
    expect(mine).toEqual(JSON.parse(JSON.stringify(expected(cfg))));
    expect(JSON.stringify(mine)).not.toContain('job=\\"netcheck-agent\\"');
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
      expect(d.annotations?.list?.map((a) => a.name)).toEqual(['Annotations & Alerts', 'netcheck alerts', 'Root cause changes']);
      expect(d.templating?.list?.map((v) => v.name)).toEqual(['datasource', 'cluster', 'node']);
      expect(d.links?.length).toBe(1);
    }
    const [overview, node] = DASHBOARDS;
    expect(overview.links![0].url).toBe('/d/netcheck-node/netcheck-node');
    expect(node.links![0]).toMatchObject({ url: '/d/netcheck-overview/netcheck-overview', includeVars: true, keepTime: true });
    const tableLinks = JSON.stringify(panelsOf(overview).filter((p) => p.type === 'table'));
    // Grafana's own variable syntax, not a template literal.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana data link
    expect(tableLinks).toContain('/d/netcheck-node/netcheck-node?var-cluster=${__data.fields.cluster}&var-node=${__data.fields.node}');
    expect(tableLinks).toContain(`${DEFAULT_CONFIG.checkDocsUrlBase}/\${__value.raw}.md`);
    // For a thousand nodes: counts per check and the worst nodes with their root cause, not a row per node per check.
    expect(panelsOf(overview).map((p) => p.title)).toEqual(expect.arrayContaining(['Failing nodes per check', 'Worst nodes, with their root cause']));
    expect(JSON.stringify(panelsOf(overview))).toContain('topk(25,');
    expect(JSON.stringify(panelsOf(overview))).toContain('cluster:netcheck_nodes_failing:sum');
    expect(panelsOf(node).find((p) => p.title === 'Root cause')?.type).toBe('stat');
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
  // tools/image/smoke.mjs is a test (of the image): it names the checks it asserts on, as tests do.
  const generatedOrTest = /^(src\/checks\/|src\/parsers\/|alerts\/.*\.(yaml|yml|md)$|dashboards\/.*\.json$|tools\/image\/smoke\.mjs$)/;
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
      'ResourceQuota',
      'ServiceAccount',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ]);
    const ns = objects.find((o) => o.kind === 'Namespace')!;
    expect(ns.metadata.labels!['pod-security.kubernetes.io/enforce']).toBe('privileged');
    for (const o of objects.filter((o) => ['ServiceAccount', 'DaemonSet', 'ResourceQuota'].includes(o.kind))) expect(o.metadata).toMatchObject({ namespace: 'netcheck' });
  });

  test('starts on managed clusters: a quota that admits its priority class outside kube-system, Linux nodes only, host paths that exist there', () => {
    const objects = render('deploy/');
    const pod = objects.find((o) => o.kind === 'DaemonSet')!.spec.template.spec;
    // GKE (and any cluster limiting the critical classes to kube-system) admits the pods only
    // into a namespace whose quota names their class.
    const quota = objects.find((o) => o.kind === 'ResourceQuota')!;
    expect(quota.spec.scopeSelector.matchExpressions).toEqual([{ scopeName: 'PriorityClass', operator: 'In', values: [pod.priorityClassName] }]);
    expect(quota.spec.hard.pods).toBe('10k');
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    // Directories every kubelet host has, or made on /run (tmpfs) when the CNI has not, or the CNI's
    // standard directories (containerd and CRI-O make them too): never a file.
    for (const dir of [[], ['cni-sockets']]) {
      const volumes = (dir.length ? overlay(dir) : objects).find((o) => o.kind === 'DaemonSet')!.spec.template.spec.volumes as { hostPath: { path: string; type: string } }[];
      for (const v of volumes) {
        const always = ['/proc', '/sys', '/etc', '/var/lib/kubelet', '/lib/modules'].includes(v.hostPath.path);
        expect([v.hostPath.path, v.hostPath.type]).toEqual([v.hostPath.path, always ? 'Directory' : 'DirectoryOrCreate']);
        if (!always) expect(v.hostPath.path).toMatch(/^(\/run\/|\/opt\/cni\/bin$|\/var\/lib\/cni\/networks$)/);
      }
    }
  });

  test('the image is the one the user sets with kustomize images:, never a published name that does not exist', () => {
    const container = render('deploy/').find((o) => o.kind === 'DaemonSet')!.spec.template.spec.containers[0];
    expect(container.image).toBe('netcheck-agent:set-with-kustomize-images');
    const text = fs
      .readdirSync(path.join(ROOT, 'deploy'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => fs.readFileSync(path.join(ROOT, 'deploy', f), 'utf8'));
    expect(text.join('\n')).not.toMatch(/ghcr\.io|docker\.io/);
    // What the README tells users to write:
    const dir = fs.mkdtempSync(path.join(ROOT, 'deploy/overlays/.test-'));
    try {
      const digest = `sha256:${'a'.repeat(64)}`;
      fs.writeFileSync(path.join(dir, 'kustomization.yaml'), yaml.dump({ resources: ['../../base'], images: [{ name: 'netcheck-agent', newName: 'registry.example/netcheck-agent', digest }] }));
      expect(render(dir).find((o) => o.kind === 'DaemonSet')!.spec.template.spec.containers[0].image).toBe(`registry.example/netcheck-agent@${digest}`);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });

  test('the kube-prometheus overlay adds the PodMonitor, the PrometheusRule, the AlertmanagerConfig and the dashboards ConfigMap', () => {
    const objects = render('deploy/overlays/kube-prometheus');
    expect(
      objects
        .filter((o) => ['PodMonitor', 'PrometheusRule', 'AlertmanagerConfig', 'ConfigMap'].includes(o.kind))
        .map((o) => o.kind)
        .sort(),
    ).toEqual(['AlertmanagerConfig', 'ConfigMap', 'PodMonitor', 'PrometheusRule']);
    expect(objects.find((o) => o.kind === 'ConfigMap')!.metadata.labels!.grafana_dashboard).toBe('1');
  });

  test('the rendered overlay applies to namespace netcheck, and its PodMonitor selects the agent pods there', () => {
    const objects = render('deploy/overlays/kube-prometheus');
    const clusterScoped = ['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'];
    for (const o of objects.filter((o) => !clusterScoped.includes(o.kind)))
      expect([o.kind, o.metadata.name, (o.metadata as unknown as { namespace?: string }).namespace]).toEqual([o.kind, o.metadata.name, 'netcheck']);
    const pm = objects.find((o) => o.kind === 'PodMonitor')!;
    const ds = objects.find((o) => o.kind === 'DaemonSet')!;
    expect(pm.spec.namespaceSelector).toEqual({ matchNames: [(ds.metadata as unknown as { namespace: string }).namespace] });
    for (const [k, v] of Object.entries(pm.spec.selector.matchLabels)) expect(ds.spec.template.metadata.labels[k]).toBe(v);
    expect(ds.spec.template.spec.containers[0].ports.map((p: { name: string }) => p.name)).toContain(pm.spec.podMetricsEndpoints[0].port);
    // The node of every series, process_* included, is the pod's node.
    expect(pm.spec.podMetricsEndpoints[0].relabelings).toContainEqual({ sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' });
    // The agent goes where NetcheckAgentAbsent expects one: Linux, not virtual.
    expect(ds.spec.template.spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(JSON.stringify(ds.spec.template.spec.affinity)).toContain('virtual-kubelet');
  });

  test("the release knob labels what kube-prometheus-stack selects, and a user's value replaces it", () => {
    const release = (objects: Obj[]) =>
      objects
        .filter((o) => ['PodMonitor', 'PrometheusRule', 'AlertmanagerConfig'].includes(o.kind))
        .map((o) => o.metadata.labels!.release)
        .sort();
    expect(release(render('deploy/overlays/kube-prometheus'))).toEqual(['kube-prometheus-stack', 'kube-prometheus-stack', 'kube-prometheus-stack']);
    const dir = fs.mkdtempSync(path.join(ROOT, 'deploy/overlays/.test-'));
    try {
      const text = fs.readFileSync(path.join(ROOT, 'deploy/overlays/kube-prometheus/kustomization.yaml'), 'utf8');
      fs.writeFileSync(path.join(dir, 'kustomization.yaml'), text.replace('value: kube-prometheus-stack', 'value: monitoring'));
      expect(release(render(dir))).toEqual(['monitoring', 'monitoring', 'monitoring']);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
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

  test("the cni-sockets component joins group 0 for BIRD's socket and drops the kubelet directory; kubelet-config-file mounts its config alone", () => {
    const pod = overlay(['cni-sockets']).find((o) => o.kind === 'DaemonSet')!.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, supplementalGroups: [0] });
    // Group 0 could traverse /var/lib/kubelet/pods: nothing of /var/lib/kubelet is mounted.
    expect(pod.volumes.filter((v: { hostPath: { path: string } }) => v.hostPath.path.startsWith('/var/lib/kubelet'))).toEqual([]);
    expect(pod.containers[0].volumeMounts.filter((m: { mountPath: string }) => m.mountPath.startsWith('/host/var/lib/kubelet'))).toEqual([]);
    const kubeadm = overlay(['cni-sockets', 'kubelet-config-file']).find((o) => o.kind === 'DaemonSet')!.spec.template.spec;
    expect(kubeadm.securityContext.supplementalGroups).toEqual([0]);
    expect(kubeadm.volumes.filter((v: { hostPath: { path: string } }) => v.hostPath.path.startsWith('/var/lib/kubelet'))).toEqual([
      { name: 'kubelet-config', hostPath: { path: '/var/lib/kubelet/config.yaml', type: 'File' } },
    ]);
    expect(kubeadm.containers[0].volumeMounts.filter((m: { mountPath: string }) => m.mountPath.startsWith('/host/var/lib/kubelet'))).toEqual([
      { name: 'kubelet-config', mountPath: '/host/var/lib/kubelet/config.yaml', readOnly: true },
    ]);
    expect(kubeadm.containers[0].volumeMounts.every((m: { readOnly: boolean }) => m.readOnly)).toBe(true);
  });

  test("k3s mounts k3s's CNI config and bin dirs alone, read-only, under the host root", () => {
    const pod = overlay(['k3s']).find((o) => o.kind === 'DaemonSet')!.spec.template.spec;
    expect(pod.volumes.filter((v: { hostPath: { path: string } }) => v.hostPath.path.startsWith('/var/lib/rancher'))).toEqual([
      { name: 'k3s-cni-conf', hostPath: { path: '/var/lib/rancher/k3s/agent/etc/cni/net.d', type: 'Directory' } },
      { name: 'k3s-cni-bin', hostPath: { path: '/var/lib/rancher/k3s/data/current/bin', type: 'Directory' } },
    ]);
    expect(pod.containers[0].volumeMounts.filter((m: { name: string }) => m.name.startsWith('k3s-'))).toEqual([
      { name: 'k3s-cni-conf', mountPath: '/host/var/lib/rancher/k3s/agent/etc/cni/net.d', readOnly: true },
      { name: 'k3s-cni-bin', mountPath: '/host/var/lib/rancher/k3s/data/current/bin', readOnly: true },
    ]);
  });

  test("gke-kubelet-config mounts GKE's kubelet config file alone, read-only, where the kubelet's --config names it", () => {
    for (const components of [['gke-kubelet-config'], ['cni-sockets', 'gke-kubelet-config']]) {
      const pod = overlay(components).find((o) => o.kind === 'DaemonSet')!.spec.template.spec;
      expect(pod.volumes.filter((v: { hostPath: { path: string } }) => v.hostPath.path.startsWith('/home'))).toEqual([
        { name: 'gke-kubelet-config', hostPath: { path: '/home/kubernetes/kubelet-config.yaml', type: 'File' } },
      ]);
      // Under --host-root (/host) at the path the kubelet's command line names.
      expect(pod.containers[0].volumeMounts.filter((m: { name: string }) => m.name === 'gke-kubelet-config')).toEqual([
        { name: 'gke-kubelet-config', mountPath: '/host/home/kubernetes/kubelet-config.yaml', readOnly: true },
      ]);
    }
  });
});
