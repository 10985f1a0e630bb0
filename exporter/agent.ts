import { evaluateNodeMeasured } from '../src/engine';
import type { FactKey, NodeFacts } from '../src/facts';
import type { NodeReport } from '../src/model';
import type { HostRead } from '../src/sources/host';
import { Metrics } from './metrics';

export interface AgentOptions {
  nodeName: string;
  readHost: () => Promise<HostRead>;
  readApi: () => Pick<NodeFacts, 'node' | 'pods' | 'cluster' | 'unavailable'>;
  log: (level: 'info' | 'warn' | 'error', message: string, fields?: object) => void;
  now?: () => number;
}

/**
 * Runs every check on this node in the background and keeps the latest report and metrics text.
 * Serving never waits for a cycle; a cycle never overlaps the previous one.
 */
export class Agent {
  report?: NodeReport;
  readonly metrics = new Metrics();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private lastProblems = '';

  constructor(private readonly opts: AgentOptions) {}

  get ready(): boolean {
    return this.report !== undefined;
  }

  async runCycle(): Promise<void> {
    const now = this.opts.now ?? Date.now;
    const started = process.hrtime.bigint();
    const [{ host, unavailable: hostUnavailable }, api] = await Promise.all([this.opts.readHost(), Promise.resolve(this.opts.readApi())]);
    const facts: NodeFacts = {
      nodeName: this.opts.nodeName,
      now: now(),
      node: api.node,
      pods: api.pods,
      cluster: api.cluster,
      host,
      agent: `agent on ${this.opts.nodeName}`,
      unavailable: { ...api.unavailable, ...hostUnavailable },
    };
    const { report, measures } = evaluateNodeMeasured(facts);
    const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    await this.metrics.update(report, measures, { durationSeconds, finishedAt: now(), unavailable: facts.unavailable });
    this.report = report;
    this.logProblems(facts.unavailable);
  }

  /** One log line when what cannot be read changes, not one per cycle. */
  private logProblems(unavailable: Partial<Record<FactKey, string>>) {
    const text = JSON.stringify(unavailable);
    if (text === this.lastProblems) return;
    this.lastProblems = text;
    if (Object.keys(unavailable).length) this.opts.log('warn', 'some facts could not be read; their checks are unknown', { unavailable });
    else this.opts.log('info', 'all facts readable');
  }

  start(intervalMs: number): void {
    const tick = () => {
      this.running = this.runCycle()
        .catch((e: Error) => this.opts.log('error', `check cycle failed: ${e.message}`))
        .finally(() => {
          this.running = undefined;
          if (this.timer !== null) this.timer = setTimeout(tick, intervalMs).unref();
        });
    };
    tick();
  }

  /** Stops scheduling and waits for a cycle in flight, so a SIGTERM exits cleanly. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = null as unknown as undefined;
    await this.running;
  }
}
