// Server-side printing (meta.k8s.io/v1 Table), which kubectl asks for on `get`.

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
  return [pod.metadata.name, `${ready}/${pod.spec?.containers?.length ?? 0}`, reason, restarts, age(pod.metadata.creationTimestamp, now), pod.status?.podIP ?? '<none>', pod.spec?.nodeName ?? '<none>'];
}

const COLUMNS: Record<string, { names: string[]; wide?: string[]; row: (o: Obj, now: number) => unknown[] }> = {
  nodes: {
    names: ['Name', 'Status', 'Roles', 'Age', 'Version'],
    wide: ['Internal-IP'],
    row: (n, now) => [
      n.metadata.name,
      nodeStatus(n),
      Object.keys(n.metadata.labels ?? {}).filter((l) => l.startsWith('node-role.kubernetes.io/')).map((l) => l.split('/')[1]).join(',') || '<none>',
      age(n.metadata.creationTimestamp, now),
      n.status?.nodeInfo?.kubeletVersion ?? '',
      n.status?.addresses?.find((a: Obj) => a.type === 'InternalIP')?.address ?? '<none>',
    ],
  },
  pods: { names: ['Name', 'Ready', 'Status', 'Restarts', 'Age'], wide: ['IP', 'Node'], row: podRow },
};

export function toTable(resource: string, items: Obj[], resourceVersion: string, now = Date.now()): Obj {
  const spec = COLUMNS[resource] ?? { names: ['Name', 'Age'], row: (o: Obj) => [o.metadata.name, age(o.metadata.creationTimestamp, now)] };
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
