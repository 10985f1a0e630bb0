import { Counter, Gauge, Registry } from 'prom-client';
import type { Measures } from '../src/engine';
import type { FactKey } from '../src/facts';
import { CHECK_IDS, type CheckId, type NodeReport, STATUSES } from '../src/model';
import { VERSION } from '../src/version';
import type { PublishStats } from './publisher';

/** The per-check gauges of the contract: which check's measure each one exports. */
export const CHECK_GAUGES: { name: string; help: string; check: CheckId; measure: string }[] = [
  { name: 'netcheck_cni_ready', help: "1 when the node's CNI is ready, 0 when not", check: 'cni-ready', measure: 'ready' },
  { name: 'netcheck_flannel_subnet_env_present', help: '1 when /run/flannel/subnet.env exists, 0 when missing', check: 'flannel-subnet-env', measure: 'present' },
  { name: 'netcheck_bgp_sessions_established', help: 'BGP sessions in state Established', check: 'bgp-established', measure: 'established' },
  { name: 'netcheck_bgp_sessions', help: 'BGP sessions configured in BIRD', check: 'bgp-established', measure: 'configured' },
  { name: 'netcheck_swap_enabled', help: '1 when swap is on, 0 when off', check: 'swap', measure: 'enabled' },
  { name: 'netcheck_pod_cidr_assigned', help: '1 when the node has a podCIDR, 0 when not', check: 'pod-cidr-assigned', measure: 'assigned' },
  { name: 'netcheck_default_route_present', help: '1 when the host has a default route on an interface that is up, 0 when not', check: 'default-route', measure: 'present' },
];

export interface CycleStats {
  durationSeconds: number;
  finishedAt: number; // epoch ms
  unavailable: Partial<Record<FactKey, string>>;
  /** NodeReport writes so far, when the agent publishes to the API. */
  published?: PublishStats;
}

/**
 * The exporter's registry. It is rendered once per check cycle and the text kept, so a scrape
 * costs a string copy, not a serialisation.
 */
export class Metrics {
  private readonly registry = new Registry();
  private readonly gauges = CHECK_GAUGES.map((g) => ({ ...g, gauge: new Gauge({ name: g.name, help: g.help, labelNames: ['node'], registers: [this.registry] }) }));
  private readonly status = new Gauge({ name: 'netcheck_check_status', help: "1 for the check's current status, 0 for the others", labelNames: ['node', 'check', 'status'], registers: [this.registry] });
  private readonly cycleDuration = new Gauge({ name: 'netcheck_cycle_duration_seconds', help: 'How long the last check cycle took', labelNames: ['node'], registers: [this.registry] });
  private readonly lastCycle = new Gauge({ name: 'netcheck_last_cycle_timestamp_seconds', help: 'When the last check cycle finished (Unix time)', labelNames: ['node'], registers: [this.registry] });
  private readonly cycles = new Counter({ name: 'netcheck_cycles_total', help: 'Check cycles run', labelNames: ['node'], registers: [this.registry] });
  private readonly factErrors = new Gauge({ name: 'netcheck_fact_unavailable', help: '1 when a fact could not be read in the last cycle (see the agent log for why)', labelNames: ['node', 'fact'], registers: [this.registry] });
  private readonly reportWrites = new Counter({ name: 'netcheck_report_writes_total', help: "Writes of this node's NodeReport to the API, by result (ok, error)", labelNames: ['node', 'result'], registers: [this.registry] });
  private readonly lastWrite = new Gauge({ name: 'netcheck_report_last_write_timestamp_seconds', help: "When this node's NodeReport was last written to the API (Unix time)", labelNames: ['node'], registers: [this.registry] });
  private counted = { ok: 0, failed: 0 };
  text = '';

  constructor() {
    new Gauge({ name: 'netcheck_build_info', help: 'The running netcheck version', labelNames: ['version'], registers: [this.registry] }).set({ version: VERSION }, 1);
  }

  readonly contentType = this.registry.contentType;

  async update(report: NodeReport, measures: Measures, stats: CycleStats): Promise<void> {
    const node = report.node;
    for (const g of this.gauges) {
      g.gauge.reset();
      const value = measures[g.check]?.[g.measure];
      if (value !== undefined) g.gauge.set({ node }, value);
    }
    for (const id of CHECK_IDS) {
      const current = report.checks.find((c) => c.id === id)?.status ?? 'unknown';
      for (const s of STATUSES) this.status.set({ node, check: id, status: s }, s === current ? 1 : 0);
    }
    this.cycleDuration.set({ node }, stats.durationSeconds);
    this.lastCycle.set({ node }, Math.floor(stats.finishedAt / 1000));
    this.cycles.inc({ node });
    this.factErrors.reset();
    for (const fact of Object.keys(stats.unavailable)) this.factErrors.set({ node, fact }, 1);
    if (stats.published) this.countWrites(node, stats.published);
    this.text = await this.registry.metrics();
  }

  /** After a NodeReport write: its counters move now, not at the next cycle. */
  async published(node: string, stats: PublishStats): Promise<void> {
    this.countWrites(node, stats);
    this.text = await this.registry.metrics();
  }

  private countWrites(node: string, published: PublishStats): void {
    this.reportWrites.inc({ node, result: 'ok' }, published.ok - this.counted.ok);
    this.reportWrites.inc({ node, result: 'error' }, published.failed - this.counted.failed);
    this.counted = { ok: published.ok, failed: published.failed };
    if (published.lastWriteAt) this.lastWrite.set({ node }, Math.floor(published.lastWriteAt / 1000));
  }
}
