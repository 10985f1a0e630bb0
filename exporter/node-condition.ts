// Writes the NetcheckPodNetwork condition on this agent's Node when it changes (never every
// cycle), by strategic merge patch of nodes/status: only this condition, merged by type.
import type { NodeReport } from '../src/core/model';
import { podNetworkCondition } from '../src/report/node-condition';
import type { Log } from './log';

export class NodeConditionWriter {
  private written?: string;
  private inFlight = false;

  constructor(private readonly opts: { client: { patchStrategic<T>(path: string, patch: object): Promise<T> }; nodeName: string; log: Log; now?: () => number }) {}

  offer(report: NodeReport): void {
    const c = podNetworkCondition(report);
    const key = `${c.status}|${c.reason}|${c.message}`;
    if (key === this.written || this.inFlight) return;
    this.inFlight = true;
    const now = new Date((this.opts.now ?? Date.now)()).toISOString().replace(/\.\d+Z$/, 'Z');
    const condition = { ...c, lastHeartbeatTime: now, lastTransitionTime: now };
    this.opts.client
      .patchStrategic(`/api/v1/nodes/${encodeURIComponent(this.opts.nodeName)}/status`, { status: { conditions: [condition] } })
      .then(() => {
        this.written = key;
        this.opts.log('info', `node condition ${c.type}=${c.status} (${c.reason}) set on ${this.opts.nodeName}`);
      })
      .catch((e: Error) => this.opts.log('warn', `setting node condition ${c.type} failed: ${e.message}`))
      .finally(() => (this.inFlight = false));
  }
}
