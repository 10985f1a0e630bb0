import { stripVTControlCharacters } from 'node:util';
import yaml from 'js-yaml';
import { createColors } from 'picocolors';
import { CHECKS } from '../src/checks';
import type { CheckResult, ClusterReport, NodeReport, Status } from '../src/core/model';
import { sanitize } from '../src/util/text';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml';

/**
 * kubectl's printer (a tabwriter): upper-case headers, no borders, each column padded to its
 * widest cell plus three spaces, no trailing blanks. cli-table3 took 11.9 s to lay out the
 * 5,000-node table; this takes milliseconds.
 */
export function columns(rows: string[][]): string {
  const width = (cell: string) => stripVTControlCharacters(cell).length;
  const widths = rows[0].map((_, i) => rows.reduce((w, row) => Math.max(w, width(row[i] ?? '')), 0));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i] - width(cell) + 3)))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

export class Renderer {
  private readonly colors;

  constructor(color: boolean) {
    this.colors = createColors(color);
  }

  status(status: Status): string {
    const c = this.colors;
    const paint = { ok: c.green, warn: c.yellow, fail: (s: string) => c.bold(c.red(s)), unknown: c.magenta, skip: c.dim }[status];
    return paint(status);
  }

  node(report: NodeReport, format: OutputFormat): string {
    if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
    if (format === 'yaml') return yaml.dump(report, { noRefs: true, lineWidth: -1 });
    const c = this.colors;
    const table = [['CHECK', 'STATUS', 'SUMMARY'], ...report.checks.map((check) => [check.id, this.status(check.status), sanitize(check.summary)])];
    const lines = [`NODE ${sanitize(report.node)}: ${this.status(report.status)}`];
    const cause = report.rootCause && report.checks.find((c) => c.id === report.rootCause);
    if (cause) lines.push(`${c.bold('root cause')}: ${cause.id}: ${sanitize(cause.summary)}`);
    lines.push('', columns(table), '');
    const detailed = report.checks.filter((ch) => format === 'wide' || ch.status === 'fail' || ch.status === 'warn' || ch.status === 'unknown');
    // Unknowns for one reason (no agent, a stale report) are told once, not once per check.
    const reason = (ch: CheckResult) => (ch.status === 'unknown' ? JSON.stringify([ch.evidence, ch.remedy]) : undefined);
    const told = new Set<string>();
    for (const check of detailed) {
      const key = reason(check);
      if (key && told.has(key)) continue;
      const same = key ? detailed.filter((ch) => reason(ch) === key) : [check];
      if (key) told.add(key);
      if (same.length > 1) lines.push(`${same.map((ch) => c.bold(ch.id)).join(', ')} (${this.status('unknown')}), all for one reason:`);
      else lines.push(`${c.bold(check.id)} (${this.status(check.status)}): ${sanitize(check.summary)}`);
      for (const e of check.evidence) lines.push(`  - ${sanitize(e)}`);
      if (check.remedy) lines.push(`  ${c.bold('fix')}: ${sanitize(check.remedy)}`);
      lines.push('');
    }
    return lines.join('\n');
  }

  cluster(report: ClusterReport, format: OutputFormat): string {
    if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
    if (format === 'yaml') return yaml.dump(report, { noRefs: true, lineWidth: -1 });
    // The table keeps to the checks most incidents turn on, and any other check failing or warning
    // somewhere (a node's status never rests on a column not shown); -o wide shows them all and
    // the root cause.
    const troubled = new Set(report.nodes.flatMap((n) => n.checks.filter((ch) => ch.status === 'fail' || ch.status === 'warn').map((ch) => ch.id)));
    const shown = CHECKS.filter((c) => format === 'wide' || !('wide' in c && c.wide) || troubled.has(c.id));
    const head = ['NODE', 'STATUS', ...shown.map((c) => c.column), format === 'wide' ? 'ROOT CAUSE' : undefined].filter((h): h is string => !!h);
    const table = [head];
    for (const node of report.nodes) {
      const byId = new Map(node.checks.map((ch) => [ch.id, ch.status]));
      const row = [sanitize(node.node), this.status(node.status), ...shown.map((c) => this.status(byId.get(c.id) ?? 'unknown'))];
      if (format === 'wide') {
        const cause = node.rootCause && node.checks.find((c) => c.id === node.rootCause);
        row.push(cause ? sanitize(`${cause.id}: ${cause.summary}`) : '');
      }
      table.push(row);
    }
    const failing = report.nodes.filter((n) => n.status === 'fail');
    const unknown = report.nodes.filter((n) => n.status === 'unknown');
    const first = failing[0] ?? unknown[0];
    const counts = [
      failing.length ? `${failing.length} of ${report.nodes.length} nodes failing` : `${report.nodes.length} nodes, none failing`,
      unknown.length ? `${unknown.length} not fully seen (unknown)` : '',
    ]
      .filter(Boolean)
      .join(', ');
    const footer = `\n${counts}${first ? `; see why with: kubectl netcheck node ${sanitize(first.node)}` : ''}\n`;
    return `${columns(table)}\n${footer}`;
  }
}
