// For `node X`: the reports of the agents that probe X, and only those (k + a few GETs, not every
// report): who they are follows from the peer choice every agent makes (src/probe/choice.ts).
import type { V1Node } from '@kubernetes/client-node';
import type { NodeReport } from '../core/model';
import type { KubeClient } from '../kubeapi/kube-client';
import { probersOf } from '../probe/choice';
import { peerTarget } from '../probe/targets';
import { readNodeReport } from './agents';
import { readReportObject } from './resource';

/** The agents' default --probe-peers. */
export const DEFAULT_K = 5;

export async function proberReports(client: KubeClient, target: string, now = Date.now(), k = DEFAULT_K): Promise<NodeReport[]> {
  const nodes = await client.list<V1Node>('/api/v1/nodes', { resourceVersion: '0' }).catch(() => []);
  const probers = probersOf(target, nodes.map(peerTarget), k).slice(0, 3 * k);
  const found = await Promise.all(probers.map((p) => readNodeReport(client, p)));
  return found.flatMap((f, i) => {
    if (!f.object) return [];
    try {
      const published = readReportObject(f.object, probers[i]);
      return now <= published.staleAt ? [published.report] : [];
    } catch {
      return [];
    }
  });
}
