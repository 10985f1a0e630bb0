// Blame across reports: a node that its probers cannot reach over one path, while those probers
// reach their other peers over it, is the culprit, and the page is its own, not its probers'.
// Pure: the plugin passes every agent report it has (all of them for `nodes`, the target's probers'
// for `node X`), and the target's peers result is replaced by the verdict.
import { CHECKS } from '../checks';
import { peers } from '../checks/peers';
import type { CheckResult, NodeReport } from '../core/model';
import type { PeerProbe, ProbePath } from '../core/probes';

const WORDS: Record<ProbePath, string> = { underlay: 'underlay', 'pod-network': 'pod network' };

/**
 * Host checks that say why a path fails, when they fail on the culprit: those whose causal links
 * (`explains`) name the peers check (a firewall, VTEP MAC drift, overlay errors, the CNI itself).
 */
export const EXPLAINERS: readonly string[] = CHECKS.filter((c) => (c.explains as readonly string[] | undefined)?.includes(peers.id)).map((c) => c.id);

/** `node X` asks for X's probers' reports only when X's own agent finds its peers unreachable. */
export function probersWanted(own: NodeReport | undefined): boolean {
  return !!own?.checks.some((c) => c.id === peers.id && c.status === 'fail');
}

export interface Verdict {
  node: string;
  /** The path(s) its probers cannot reach it over. */
  paths: ProbePath[];
  /** Who cannot reach it, per path. */
  from: Record<ProbePath, string[]>;
  /** The error classes seen. */
  errors: string[];
  summary: string;
  evidence: string[];
}

/** A prober's probe counts against a target only when that prober reaches someone else on the path. */
function reachesOthers(probes: PeerProbe[], target: string, path: ProbePath): boolean {
  return probes.some((p) => p.peer !== target && p.path === path && p.ok);
}

/** The culprits among the nodes these reports probe: at least two probers fail it, none reaches it, on a path. */
export function judge(reports: readonly NodeReport[]): Map<string, Verdict> {
  const about = new Map<string, { prober: string; probe: PeerProbe; all: PeerProbe[] }[]>();
  for (const r of reports) {
    for (const p of r.probes ?? []) {
      if (p.peer === r.node) continue;
      const list = about.get(p.peer) ?? [];
      list.push({ prober: r.node, probe: p, all: r.probes! });
      about.set(p.peer, list);
    }
  }
  const verdicts = new Map<string, Verdict>();
  for (const [target, seen] of about) {
    const from = { underlay: [] as string[], 'pod-network': [] as string[] };
    const paths: ProbePath[] = [];
    const errors = new Set<string>();
    for (const path of ['underlay', 'pod-network'] as const) {
      const on = seen.filter((s) => s.probe.path === path && s.probe.error !== 'refused');
      const failing = on.filter((s) => !s.probe.ok && reachesOthers(s.all, target, path));
      // Every prober that could judge fails it, two at least: one prober's trouble is not a verdict.
      if (failing.length >= 2 && failing.length === on.length) {
        paths.push(path);
        from[path] = [...new Set(failing.map((s) => s.prober))].sort();
        for (const s of failing) errors.add(s.probe.error ?? 'failed');
      }
    }
    if (!paths.length) continue;
    const ok = (path: ProbePath) => seen.some((s) => s.probe.path === path && s.probe.ok);
    let summary: string;
    if (paths.length === 2) summary = `unreachable from ${from.underlay.join(', ')} over the underlay and the pod network (${[...errors].join(', ')}): the node is down or cut off`;
    else {
      const other: ProbePath = paths[0] === 'underlay' ? 'pod-network' : 'underlay';
      summary = `${WORDS[paths[0]]} unreachable from ${from[paths[0]].join(', ')}; ${WORDS[other]} ${ok(other) ? 'fine' : 'not judged'}`;
    }
    const evidence = seen.map((s) => `${s.prober} → ${target} over the ${WORDS[s.probe.path]} (${s.probe.target}): ${s.probe.ok ? 'ok' : s.probe.error}`).slice(0, 24);
    verdicts.set(target, { node: target, paths, from, errors: [...errors], summary, evidence });
  }
  return verdicts;
}

/** The culprit's peers result: failing, with the verdict and the host checks of its own that explain it. */
export function blamedResult(verdict: Verdict, own: NodeReport): CheckResult {
  const explained = own.checks.filter((c) => EXPLAINERS.includes(c.id) && c.status === 'fail');
  return {
    id: peers.id,
    status: 'fail',
    summary: verdict.summary,
    evidence: [
      ...verdict.evidence,
      ...(explained.length
        ? explained.map((c) => `explained on ${own.node} by ${c.id}: ${c.summary}`)
        : [`no host check on ${own.node} explains it yet: look for a firewall dropping the overlay (8472/udp VXLAN, 179/tcp BGP, IPIP)`]),
    ],
    remedy: explained.length
      ? `Fix ${explained.map((c) => c.id).join(', ')} on ${own.node} first (its remedy above).`
      : `On ${own.node}: systemctl is-active firewalld ufw; nft list ruleset | grep -E '8472|4789|179|drop' — the overlay's traffic must be allowed from every node.`,
    code: 'blamedByProbers',
  };
}

/** Reports with each culprit's peers result replaced by its verdict; the probers' are left as they are. */
export function withBlame(reports: NodeReport[], agentReports: readonly NodeReport[], assemble: (node: string, checks: CheckResult[]) => NodeReport): NodeReport[] {
  const verdicts = judge(agentReports);
  if (!verdicts.size) return reports;
  return reports.map((r) => {
    const v = verdicts.get(r.node);
    if (!v) return r;
    // The probers' verdict replaces the node's own view, which stays as evidence.
    const checks = r.checks.map((c) => {
      if (c.id !== peers.id) return c;
      const blamed = blamedResult(v, r);
      return c.status === 'fail' ? { ...blamed, evidence: [`${r.node} itself: ${c.summary}`, ...blamed.evidence] } : blamed;
    });
    return { ...assemble(r.node, checks), ...(r.probes ? { probes: r.probes } : {}) };
  });
}
