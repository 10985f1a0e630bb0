// Server-side printing (meta.k8s.io/v1 Table), which kubectl asks for on `get`.

import type { PrinterColumn, Resource } from './store';

type Obj = Record<string, any>;

function age(ts: string | undefined, now: number): string {
  if (!ts) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function nodeStatus(node: Obj): string {
  const ready = node.status?.conditions?.find((c: Obj) => c.type === 'Ready');
  const status = ready?.status === 'True' ? 'Ready' : 'NotReady';
  return node.spec?.unschedulable ? `${status},SchedulingDisabled` : status;
}

function podRow(pod: Obj, now: number): unknown[] {
  const statuses: Obj[] = pod.status?.containerStatuses ?? [];
  const ready = statuses.filter((s) => s.ready).length;
  const reason = statuses.map((s) => s.state?.waiting?.reason ?? s.state?.terminated?.reason).find(Boolean) ?? pod.status?.phase ?? 'Unknown';
  const restarts = statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0);
  return [
    pod.metadata.name,
    `${ready}/${pod.spec?.containers?.length ?? 0}`,
    reason,
    restarts,
    age(pod.metadata.creationTimestamp, now),
    pod.status?.podIP ?? '<none>',
    pod.spec?.nodeName ?? '<none>',
  ];
}

const COLUMNS: Record<string, { names: string[]; wide?: string[]; row: (o: Obj, now: number) => unknown[] }> = {
  nodes: {
    names: ['Name', 'Status', 'Roles', 'Age', 'Version'],
    wide: ['Internal-IP'],
    row: (n, now) => [
      n.metadata.name,
      nodeStatus(n),
      Object.keys(n.metadata.labels ?? {})
        .filter((l) => l.startsWith('node-role.kubernetes.io/'))
        .map((l) => l.split('/')[1])
        .join(',') || '<none>',
      age(n.metadata.creationTimestamp, now),
      n.status?.nodeInfo?.kubeletVersion ?? '',
      n.status?.addresses?.find((a: Obj) => a.type === 'InternalIP')?.address ?? '<none>',
    ],
  },
  pods: { names: ['Name', 'Ready', 'Status', 'Restarts', 'Age'], wide: ['IP', 'Node'], row: podRow },
};

/** A custom resource's columns, from its CRD's additionalPrinterColumns, as the API server prints them. */
function customColumns(resource: Resource, jsonPath: (o: Obj, path: string) => unknown) {
  const columns = resource.printerColumns ?? [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }];
  const cell = (o: Obj, c: PrinterColumn, now: number) => {
    const value = jsonPath(o, c.jsonPath);
    if (value === undefined || value === null) return c.type === 'date' ? '<unknown>' : '';
    return c.type === 'date' ? age(String(value), now) : value;
  };
  return {
    names: ['Name', ...columns.filter((c) => !c.priority).map((c) => c.name)],
    wide: columns.filter((c) => c.priority).map((c) => c.name),
    row: (o: Obj, now: number) => [o.metadata.name, ...columns.filter((c) => !c.priority).map((c) => cell(o, c, now)), ...columns.filter((c) => c.priority).map((c) => cell(o, c, now))],
  };
}

export function toTable(resource: Resource, items: Obj[], resourceVersion: string, jsonPath: (o: Obj, path: string) => unknown, now = Date.now()): Obj {
  const spec = resource.custom ? customColumns(resource, jsonPath) : (COLUMNS[resource.name] ?? { names: ['Name', 'Age'], row: (o: Obj) => [o.metadata.name, age(o.metadata.creationTimestamp, now)] });
  const columnDefinitions = [
    ...spec.names.map((name) => ({ name, type: 'string', format: name === 'Name' ? 'name' : '', description: '', priority: 0 })),
    ...(spec.wide ?? []).map((name) => ({ name, type: 'string', format: '', description: '', priority: 1 })),
  ];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions,
    rows: items.map((o) => ({
      cells: spec.row(o, now),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
