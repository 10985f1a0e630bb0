import fs from 'node:fs';
import yaml from 'js-yaml';

type Obj = Record<string, any>;

export interface Resource {
  kind: string;
  name: string; // plural, as in URLs
  namespaced: boolean;
  group: string; // '' for core
  version: string;
}

export const RESOURCES: Resource[] = [
  { kind: 'Node', name: 'nodes', namespaced: false, group: '', version: 'v1' },
  { kind: 'Pod', name: 'pods', namespaced: true, group: '', version: 'v1' },
  { kind: 'Event', name: 'events', namespaced: true, group: '', version: 'v1' },
  { kind: 'ConfigMap', name: 'configmaps', namespaced: true, group: '', version: 'v1' },
  { kind: 'Namespace', name: 'namespaces', namespaced: false, group: '', version: 'v1' },
  { kind: 'DaemonSet', name: 'daemonsets', namespaced: true, group: 'apps', version: 'v1' },
  { kind: 'Lease', name: 'leases', namespaced: true, group: 'coordination.k8s.io', version: 'v1' },
];

const AGE = /^now(?:-(\d+)([smhd]))?$/;
const UNIT = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/** Fixtures write times as "now" or "now-5m" so ages stay realistic whenever they are loaded. */
function resolveTimes(value: any, now: number): any {
  if (typeof value === 'string') {
    const m = AGE.exec(value);
    if (!m) return value;
    const seconds = m[1] ? Number(m[1]) * UNIT[m[2] as keyof typeof UNIT] : 0;
    return new Date(now - seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  }
  if (Array.isArray(value)) return value.map((v) => resolveTimes(v, now));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveTimes(v, now)]));
  return value;
}

/** Objects by resource, pods also indexed by node, logs by "namespace/pod". */
export class Store {
  readonly objects = new Map<string, Obj[]>(RESOURCES.map((r) => [r.name, []]));
  readonly podsByNode = new Map<string, Obj[]>();
  readonly logs = new Map<string, string>();
  private uid = 0;
  resourceVersion = 1000;

  loadFile(file: string, now = Date.now()): void {
    const doc = yaml.load(fs.readFileSync(file, 'utf8')) as { items?: Obj[]; logs?: Record<string, string> };
    for (const item of doc.items ?? []) this.add(resolveTimes(item, now));
    for (const [pod, text] of Object.entries(doc.logs ?? {})) this.logs.set(pod, text);
  }

  add(obj: Obj): void {
    const resource = RESOURCES.find((r) => r.kind === obj.kind);
    if (!resource) throw new Error(`fixture kind ${obj.kind} is not served`);
    obj.apiVersion ??= resource.group ? `${resource.group}/${resource.version}` : 'v1';
    obj.metadata ??= {};
    obj.metadata.uid ??= `00000000-0000-4000-8000-${String(++this.uid).padStart(12, '0')}`;
    obj.metadata.resourceVersion ??= String(++this.resourceVersion);
    obj.metadata.creationTimestamp ??= new Date(Date.now() - 86400_000 * 20).toISOString().replace(/\.\d+Z$/, 'Z');
    if (resource.namespaced) obj.metadata.namespace ??= 'default';
    this.objects.get(resource.name)!.push(obj);
    if (obj.kind === 'Pod' && obj.spec?.nodeName) {
      const list = this.podsByNode.get(obj.spec.nodeName) ?? [];
      list.push(obj);
      this.podsByNode.set(obj.spec.nodeName, list);
    }
  }

  /** Objects of a resource, narrowed by namespace and, cheaply, by an exact spec.nodeName selector. */
  candidates(resource: Resource, namespace: string | undefined, fieldSelector: string | null): Obj[] {
    const node = /(?:^|,)spec\.nodeName==?([^,]*)/.exec(fieldSelector ?? '')?.[1];
    let items = resource.name === 'pods' && node !== undefined ? (this.podsByNode.get(node) ?? []) : this.objects.get(resource.name)!;
    if (namespace) items = items.filter((o) => o.metadata.namespace === namespace);
    return items;
  }

  findObject(resource: Resource, namespace: string | undefined, name: string): Obj | undefined {
    return this.objects.get(resource.name)!.find((o) => o.metadata.name === name && (!resource.namespaced || o.metadata.namespace === namespace));
  }
}
