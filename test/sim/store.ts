import fs from 'node:fs';
import yaml from 'js-yaml';

type Obj = Record<string, any>;

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  priority?: number;
}

export interface Resource {
  kind: string;
  name: string; // plural, as in URLs
  namespaced: boolean;
  group: string; // '' for core
  version: string;
  singular?: string;
  shortNames?: string[];
  categories?: string[];
  /** Served because a CustomResourceDefinition was created. */
  custom?: boolean;
  /** Has the status subresource: status is written only through /status. */
  statusSubresource?: boolean;
  printerColumns?: PrinterColumn[];
  schema?: Obj;
}

/** What every simulated cluster serves before any CRD is created. */
export const BUILTIN: Resource[] = [
  { kind: 'Node', name: 'nodes', namespaced: false, group: '', version: 'v1', shortNames: ['no'], statusSubresource: true },
  { kind: 'Pod', name: 'pods', namespaced: true, group: '', version: 'v1', shortNames: ['po'], statusSubresource: true },
  { kind: 'Event', name: 'events', namespaced: true, group: '', version: 'v1', shortNames: ['ev'] },
  { kind: 'ConfigMap', name: 'configmaps', namespaced: true, group: '', version: 'v1', shortNames: ['cm'] },
  { kind: 'Endpoints', name: 'endpoints', namespaced: true, group: '', version: 'v1', shortNames: ['ep'] },
  { kind: 'EndpointSlice', name: 'endpointslices', namespaced: true, group: 'discovery.k8s.io', version: 'v1' },
  { kind: 'Service', name: 'services', namespaced: true, group: '', version: 'v1', shortNames: ['svc'] },
  { kind: 'Namespace', name: 'namespaces', namespaced: false, group: '', version: 'v1', shortNames: ['ns'] },
  { kind: 'DaemonSet', name: 'daemonsets', namespaced: true, group: 'apps', version: 'v1', shortNames: ['ds'] },
  { kind: 'Lease', name: 'leases', namespaced: true, group: 'coordination.k8s.io', version: 'v1' },
  { kind: 'CustomResourceDefinition', name: 'customresourcedefinitions', namespaced: false, group: 'apiextensions.k8s.io', version: 'v1', shortNames: ['crd', 'crds'] },
  { kind: 'ValidatingAdmissionPolicy', name: 'validatingadmissionpolicies', namespaced: false, group: 'admissionregistration.k8s.io', version: 'v1' },
  { kind: 'ValidatingAdmissionPolicyBinding', name: 'validatingadmissionpolicybindings', namespaced: false, group: 'admissionregistration.k8s.io', version: 'v1' },
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

export const timestamp = (ms = Date.now()) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** A CRD's served storage version as a resource the server routes to. */
function crdResource(crd: Obj): Resource {
  const spec = crd.spec;
  const version = spec.versions.find((v: Obj) => v.storage) ?? spec.versions[0];
  return {
    kind: spec.names.kind,
    name: spec.names.plural,
    namespaced: spec.scope === 'Namespaced',
    group: spec.group,
    version: version.name,
    singular: spec.names.singular,
    shortNames: spec.names.shortNames,
    categories: spec.names.categories,
    custom: true,
    statusSubresource: !!version.subresources?.status,
    printerColumns: version.additionalPrinterColumns,
    schema: version.schema?.openAPIV3Schema,
  };
}

/** Objects by resource, pods also indexed by node, logs by "namespace/pod". */
export class Store {
  readonly resources: Resource[] = [...BUILTIN];
  readonly objects = new Map<string, Obj[]>(BUILTIN.map((r) => [r.name, []]));
  readonly podsByNode = new Map<string, Obj[]>();
  /** "resource/namespace" → objects: an API server's cache is keyed by namespace, so a namespaced list never scans the cluster. */
  private readonly byNamespace = new Map<string, Obj[]>();
  readonly logs = new Map<string, string>();
  private uid = 0;
  resourceVersion = 1000;

  /** A fixture file: `kind: List` documents (with `logs:`), or plain Kubernetes YAML, one or many. */
  loadFile(file: string, now = Date.now()): void {
    for (const doc of yaml.loadAll(fs.readFileSync(file, 'utf8')) as (Obj | null)[]) {
      if (!doc) continue;
      const items = doc.items ?? (doc.kind ? [doc] : []);
      for (const item of items) this.add(resolveTimes(item, now));
      for (const [pod, text] of Object.entries(doc.logs ?? {})) this.logs.set(pod, text as string);
    }
  }

  resourceOf(kind: string): Resource | undefined {
    return this.resources.find((r) => r.kind === kind);
  }

  add(obj: Obj): Obj {
    const resource = this.resourceOf(obj.kind);
    if (!resource) throw new Error(`fixture kind ${obj.kind} is not served (create its CustomResourceDefinition first)`);
    obj.apiVersion ??= resource.group ? `${resource.group}/${resource.version}` : 'v1';
    obj.metadata ??= {};
    obj.metadata.uid ??= `00000000-0000-4000-8000-${String(++this.uid).padStart(12, '0')}`;
    obj.metadata.resourceVersion = String(++this.resourceVersion);
    obj.metadata.creationTimestamp ??= timestamp(Date.now() - 86400_000 * 20);
    if (resource.namespaced) obj.metadata.namespace ??= 'default';
    this.objects.get(resource.name)!.push(obj);
    if (resource.namespaced) {
      const key = `${resource.name}/${obj.metadata.namespace}`;
      const list = this.byNamespace.get(key) ?? [];
      list.push(obj);
      this.byNamespace.set(key, list);
    }
    if (obj.kind === 'Pod' && obj.spec?.nodeName) {
      const list = this.podsByNode.get(obj.spec.nodeName) ?? [];
      list.push(obj);
      this.podsByNode.set(obj.spec.nodeName, list);
    }
    if (obj.kind === 'CustomResourceDefinition') this.register(crdResource(obj));
    return obj;
  }

  remove(resource: Resource, obj: Obj): void {
    const list = this.objects.get(resource.name)!;
    list.splice(list.indexOf(obj), 1);
    const inNamespace = this.byNamespace.get(`${resource.name}/${obj.metadata?.namespace}`);
    if (inNamespace?.includes(obj)) inNamespace.splice(inNamespace.indexOf(obj), 1);
    if (obj.kind === 'Pod') for (const pods of this.podsByNode.values()) if (pods.includes(obj)) pods.splice(pods.indexOf(obj), 1);
    if (obj.kind === 'CustomResourceDefinition') {
      const gone = crdResource(obj);
      this.resources.splice(
        this.resources.findIndex((r) => r.name === gone.name && r.group === gone.group),
        1,
      );
      this.objects.delete(gone.name);
      for (const key of this.byNamespace.keys()) if (key.startsWith(`${gone.name}/`)) this.byNamespace.delete(key);
    }
  }

  private register(resource: Resource): void {
    const existing = this.resources.findIndex((r) => r.name === resource.name && r.group === resource.group);
    if (existing >= 0) this.resources[existing] = resource;
    else this.resources.push(resource);
    if (!this.objects.has(resource.name)) this.objects.set(resource.name, []);
  }

  /** Objects of a resource, narrowed by namespace and, cheaply, by an exact spec.nodeName selector. */
  candidates(resource: Resource, namespace: string | undefined, fieldSelector: string | null): Obj[] {
    const node = /(?:^|,)spec\.nodeName==?([^,]*)/.exec(fieldSelector ?? '')?.[1];
    if (resource.name === 'pods' && node !== undefined) {
      const onNode = this.podsByNode.get(node) ?? [];
      return namespace ? onNode.filter((o) => o.metadata.namespace === namespace) : onNode;
    }
    if (namespace && resource.namespaced) return this.byNamespace.get(`${resource.name}/${namespace}`) ?? [];
    return this.objects.get(resource.name)!;
  }

  findObject(resource: Resource, namespace: string | undefined, name: string): Obj | undefined {
    if (resource.namespaced) return this.byNamespace.get(`${resource.name}/${namespace}`)?.find((o) => o.metadata.name === name);
    return this.objects.get(resource.name)!.find((o) => o.metadata.name === name);
  }
}
