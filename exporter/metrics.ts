// The exporter's metrics. The per-check families come from the check registry (each check file
// names its gauges); the agent's own families are listed here once, and docs/metrics.md is
// generated from both. The registry is rendered once per check cycle and the text kept, so a scrape
// costs a string copy, not a serialisation.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CHECKS } from '../src/checks';
import type { FactKey } from '../src/core/facts';
import { type NodeReport, STATUSES } from '../src/core/model';
import type { Measures } from '../src/engine';
import { REVISION, RUNTIME, VERSION } from '../src/version';
import { registerProcessMetrics } from './process-metrics';
import type { PublishStats } from './publisher';

export interface CycleStats {
  durationSeconds: number;
  finishedAt: number; // epoch ms
  unavailable: Partial<Record<FactKey, string>>;
  /** NodeReport writes so far, when the agent publishes to the API. */
  published?: PublishStats;
}

export interface FamilySpec {
  name: string;
  type: 'gauge' | 'counter' | 'histogram';
  labels: string[];
  help: string;
}

/** The agent's own families (the per-check ones are in each check's file). */
export const AGENT_FAMILIES = {
  status: {
    name: 'netcheck_check_status',
    type: 'gauge',
    labels: ['node', 'check', 'status'],
    help: "State set: 1 for the check's current status (ok, warn, fail, unknown, skip), 0 for the others; present for every check, whatever its status",
  },
  rootCause: {
    name: 'netcheck_root_cause',
    type: 'gauge',
    labels: ['node', 'check'],
    help: "1 for the check that is the node's root cause (the failing check that explains the others), 0 for every other check; all 0 when none fails",
  },
  buildInfo: { name: 'netcheck_build_info', type: 'gauge', labels: ['version', 'revision', 'runtime'], help: 'Always 1: the running netcheck version, its source revision and the JavaScript runtime' },
  cycleDuration: { name: 'netcheck_cycle_duration_seconds', type: 'gauge', labels: ['node'], help: 'How long the last check cycle took' },
  lastCycle: { name: 'netcheck_last_cycle_timestamp_seconds', type: 'gauge', labels: ['node'], help: 'When the last check cycle finished (Unix time); the stale-agent alert reads it' },
  cycles: { name: 'netcheck_cycles_total', type: 'counter', labels: ['node'], help: 'Check cycles run since the agent started' },
  factUnavailable: { name: 'netcheck_fact_unavailable', type: 'gauge', labels: ['node', 'fact'], help: '1 for each fact that could not be read in the last cycle (the agent logs why, once)' },
  reportWrites: { name: 'netcheck_report_writes_total', type: 'counter', labels: ['node', 'result'], help: "Writes of this node's NodeReport to the API, by result (ok, error)" },
  lastWrite: { name: 'netcheck_report_last_write_timestamp_seconds', type: 'gauge', labels: ['node'], help: "When this node's NodeReport was last written to the API (Unix time)" },
  probeRtt: {
    name: 'netcheck_probe_rtt_seconds',
    type: 'histogram',
    labels: ['node', 'path'],
    help: 'TCP connect time to the peers probed, by path (underlay, pod-network): per node, never per peer',
  },
  probeUdpLoss: { name: 'netcheck_probe_udp_loss_ratio', type: 'gauge', labels: ['node', 'path'], help: "Share of the last round's UDP echo datagrams to peers that did not come back, by path" },
} as const satisfies Record<string, FamilySpec>;

/** Every per-check family, from the registry: label `node`, plus a family's own labels. */
export const CHECK_FAMILIES = CHECKS.flatMap((check) =>
  check.metrics.map((m) => ({ ...m, check: check.id, family: { name: m.name, type: 'gauge' as const, labels: ['node', ...(m.labels ?? [])], help: m.help } })),
);

export class Metrics {
  private readonly registry = new Registry();
  private readonly checkGauges = CHECK_FAMILIES.map((m) => ({ ...m, gauge: this.gauge(m.family) }));
  private readonly status = this.gauge(AGENT_FAMILIES.status);
  private readonly rootCause = this.gauge(AGENT_FAMILIES.rootCause);
  private readonly cycleDuration = this.gauge(AGENT_FAMILIES.cycleDuration);
  private readonly lastCycle = this.gauge(AGENT_FAMILIES.lastCycle);
  private readonly cycles = this.counter(AGENT_FAMILIES.cycles);
  private readonly factErrors = this.gauge(AGENT_FAMILIES.factUnavailable);
  private readonly reportWrites = this.counter(AGENT_FAMILIES.reportWrites);
  private readonly lastWrite = this.gauge(AGENT_FAMILIES.lastWrite);
  private readonly probeRtt = new Histogram({
    name: AGENT_FAMILIES.probeRtt.name,
    help: AGENT_FAMILIES.probeRtt.help,
    labelNames: AGENT_FAMILIES.probeRtt.labels,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  private readonly probeUdpLoss = this.gauge(AGENT_FAMILIES.probeUdpLoss);
  private counted = { ok: 0, failed: 0 };
  /** The last rendering, kept as text and as the bytes every scrape is sent (encoded once, not per scrape). */
  text = '';
  body: Buffer = Buffer.alloc(0);

  constructor() {
    this.gauge(AGENT_FAMILIES.buildInfo).set({ version: VERSION, revision: REVISION, runtime: RUNTIME }, 1);
    // process_* (start time, resident memory, CPU, open fds) and the V8 heap's size.
    registerProcessMetrics(this.registry);
  }

  readonly contentType = this.registry.contentType;

  private gauge(f: FamilySpec) {
    return new Gauge({ name: f.name, help: f.help, labelNames: f.labels, registers: [this.registry] });
  }

  private counter(f: FamilySpec) {
    return new Counter({ name: f.name, help: f.help, labelNames: f.labels, registers: [this.registry] });
  }

  async update(report: NodeReport, measures: Measures, stats: CycleStats): Promise<void> {
    const node = report.node;
    for (const g of this.checkGauges) {
      // Absent where the check is skip or unknown: a number that was not measured is not 0.
      g.gauge.reset();
      const measured = measures[g.check];
      if (g.measure !== undefined) {
        const value = measured?.measures?.[g.measure];
        if (value !== undefined) g.gauge.set({ node }, value);
      } else {
        for (const s of measured?.series?.[g.name] ?? []) g.gauge.set({ node, ...s.labels }, s.value);
      }
    }
    for (const check of CHECKS) {
      const current = report.checks.find((c) => c.id === check.id)?.status ?? 'unknown';
      for (const s of STATUSES) this.status.set({ node, check: check.id, status: s }, s === current ? 1 : 0);
      this.rootCause.set({ node, check: check.id }, report.rootCause === check.id ? 1 : 0);
    }
    this.cycleDuration.set({ node }, stats.durationSeconds);
    this.lastCycle.set({ node }, Math.floor(stats.finishedAt / 1000));
    this.cycles.inc({ node });
    this.factErrors.reset();
    for (const fact of Object.keys(stats.unavailable)) this.factErrors.set({ node, fact }, 1);
    if (stats.published) this.countWrites(node, stats.published);
    await this.render();
  }

  /** After a probe round: its RTTs and UDP echo loss, shown from the next rendering on. */
  probed(node: string, round: { rtts: Record<string, number[]>; udp: Record<string, { sent: number; received: number }> }): void {
    for (const [path, values] of Object.entries(round.rtts)) for (const v of values) this.probeRtt.observe({ node, path }, v);
    this.probeUdpLoss.reset();
    for (const [path, u] of Object.entries(round.udp)) if (u.sent) this.probeUdpLoss.set({ node, path }, (u.sent - u.received) / u.sent);
  }

  private async render(): Promise<void> {
    this.text = await this.registry.metrics();
    this.body = Buffer.from(this.text);
  }

  /** After a NodeReport write: its counters move now, not at the next cycle. */
  async published(node: string, stats: PublishStats): Promise<void> {
    this.countWrites(node, stats);
    await this.render();
  }

  private countWrites(node: string, published: PublishStats): void {
    this.reportWrites.inc({ node, result: 'ok' }, published.ok - this.counted.ok);
    this.reportWrites.inc({ node, result: 'error' }, published.failed - this.counted.failed);
    this.counted = { ok: published.ok, failed: published.failed };
    if (published.lastWriteAt) this.lastWrite.set({ node }, Math.floor(published.lastWriteAt / 1000));
  }
}
