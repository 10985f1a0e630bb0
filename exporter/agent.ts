import { buildFacts, type FactKey, type NodeFacts } from '../src/core/facts';
import type { NodeReport } from '../src/core/model';
import { evaluateNodeMeasured } from '../src/engine';
import { type HostRead, hostFactKeys } from '../src/host/readers';
import { withDeadline } from '../src/util/deadline';
import type { Log } from './log';
import { Metrics } from './metrics';
import type { PublishStats } from './publisher';

export type { Log };

export interface AgentOptions {
  nodeName: string;
  /** Cycles start this often; a cycle that runs long delays the next, never overlaps it. */
  intervalMs: number;
  /** The whole cycle's deadline; each fact has its own, shorter one inside readHost. */
  cycleTimeoutMs: number;
  readHost: (signal: AbortSignal) => Promise<HostRead>;
  readApi: () => Pick<NodeFacts, 'node' | 'pods' | 'cluster' | 'unavailable'>;
  /** The data-plane probes' last findings (exporter/probe.ts), joined to the host facts. */
  readProbes?: () => Partial<HostRead['host']>;
  /** Each finished report, for whatever else follows it (the Node condition). */
  onReport?: (report: NodeReport) => void;
  log: Log;
  now?: () => number;
  /** Where finished reports go beyond this process (the API); it decides when to write. */
  publisher?: { offer(report: NodeReport, observedAt: number): Promise<void> | undefined; stats: PublishStats };
  /** Why the API client is not set up (it is being retried); undefined once it is. /readyz is 503 meanwhile. */
  apiProblem?: () => string | undefined;
}

const HOST_KEYS = hostFactKeys();

/**
 * Runs every check on this node in the background and keeps the latest report and metrics text.
 * Serving never waits for a cycle; a cycle never overlaps the previous one; a cycle always ends
 * (its facts have deadlines), so /metrics is never frozen while health says ok.
 */
export class Agent {
  report?: NodeReport;
  readonly metrics = new Metrics();
  private readonly startedAt: number;
  private lastFinishedAt?: number;
  private running?: Promise<void>;
  private lastProblems = '';
  private readonly stopping = new AbortController();
  private wake?: () => void;

  constructor(private readonly opts: AgentOptions) {
    this.startedAt = this.now();
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** The last report is older than two intervals plus a cycle's deadline. */
  get staleAfterMs(): number {
    return 2 * this.opts.intervalMs + this.opts.cycleTimeoutMs;
  }

  /** No cycle has finished for three intervals (plus a cycle's deadline): the scheduler is stuck. */
  get stalledAfterMs(): number {
    return 3 * this.opts.intervalMs + this.opts.cycleTimeoutMs;
  }

  /** /readyz: a report exists and is fresh. */
  readiness(): { ok: boolean; reason: string } {
    if (this.lastFinishedAt === undefined) return { ok: false, reason: 'the first check cycle has not finished' };
    const apiProblem = this.opts.apiProblem?.();
    if (apiProblem) return { ok: false, reason: `no Kubernetes API client, so no report leaves the node (retrying): ${apiProblem}` };
    const age = this.now() - this.lastFinishedAt;
    if (age > this.staleAfterMs) return { ok: false, reason: `the last check cycle finished ${Math.round(age / 1000)}s ago (stale after ${Math.round(this.staleAfterMs / 1000)}s)` };
    return { ok: true, reason: 'ok' };
  }

  /** /healthz: cycles keep finishing. */
  liveness(): { ok: boolean; reason: string } {
    const since = this.lastFinishedAt ?? this.startedAt;
    const age = this.now() - since;
    if (age <= this.stalledAfterMs) return { ok: true, reason: 'ok' };
    const what = this.lastFinishedAt === undefined ? 'no check cycle has finished since start' : 'no check cycle has finished';
    return { ok: false, reason: `${what} ${Math.round(age / 1000)}s ago; cycles have stalled` };
  }

  async runCycle(): Promise<void> {
    const started = process.hrtime.bigint();
    const { host, unavailable: hostUnavailable } = await withDeadline(this.opts.cycleTimeoutMs, 'reading host facts', (signal) => this.opts.readHost(signal), this.stopping.signal).catch(
      (e: Error): HostRead => ({ host: {}, unavailable: Object.fromEntries(HOST_KEYS.map((k) => [k, e.message])) }),
    );
    const { unavailable: apiUnavailable, ...api } = this.opts.readApi();
    const probes = this.opts.readProbes?.() ?? {};
    const facts = buildFacts({
      nodeName: this.opts.nodeName,
      now: this.now(),
      api,
      host: { ...host, ...probes },
      agent: `agent on ${this.opts.nodeName}`,
      unavailable: [apiUnavailable, hostUnavailable],
    });
    const { report, measures } = evaluateNodeMeasured(facts);
    if (probes.peerProbes) report.probes = probes.peerProbes.results;
    const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const finishedAt = this.now();
    await this.metrics.update(report, measures, { durationSeconds, finishedAt, unavailable: facts.unavailable, published: this.opts.publisher?.stats });
    this.report = report;
    this.lastFinishedAt = finishedAt;
    this.logProblems(facts.unavailable);
    const publisher = this.opts.publisher;
    void publisher?.offer(report, finishedAt)?.then(() => this.metrics.published(report.node, publisher.stats));
    this.opts.onReport?.(report);
  }

  /** One log line when what cannot be read changes, not one per cycle. */
  private logProblems(unavailable: Partial<Record<FactKey, string>>) {
    const text = JSON.stringify(unavailable);
    if (text === this.lastProblems) return;
    this.lastProblems = text;
    if (Object.keys(unavailable).length) this.opts.log('warn', 'some facts could not be read; their checks are unknown', { unavailable });
    else this.opts.log('info', 'all facts readable');
  }

  /** Cycles start every interval from the start of the previous one (right away if it ran long). */
  start(): void {
    const loop = async () => {
      while (!this.stopping.signal.aborted) {
        const started = this.now();
        this.running = this.runCycle().catch((e: Error) => this.opts.log('error', `check cycle failed: ${e.message}`));
        await this.running;
        this.running = undefined;
        const wait = Math.max(0, started + this.opts.intervalMs - this.now());
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          timer.unref?.();
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    };
    void loop();
  }

  /** Runs a cycle now if the scheduler is waiting (a probe round found something new). */
  nudge(): void {
    this.wake?.();
  }

  /** Stops scheduling, abandons the reads of a cycle in flight and waits (briefly) for it to end. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error('the agent is stopping'));
    this.wake?.();
    await this.running;
  }
}
