// Which peers a node probes: every eligible node is probed by at least k others, each node probes
// at most k + EXTRA, whatever the cluster's size, and the choice moves little as nodes come and go.
//
// Eligible nodes (Ready, not cordoned, not being deleted by the cluster autoscaler, with an address)
// sit on a ring sorted by a hash of their names; each probes its k successors, so each is probed by
// its k predecessors: in-degree exactly k on the ring. A join or a leave changes one target of k
// nodes. EXTRA more targets per node come from rendezvous hashing (highest score of the pair), so a
// node's probers are not only its ring neighbours: a broken rack of neighbours does not hide it.
// Nodes that are not eligible are never targets (a NotReady node's silence is not a network
// fault), but they still probe, by rendezvous alone.

/** The part of a Node the choice reads. */
export interface Candidate {
  name: string;
  /** Ready, schedulable, not marked for deletion, with an address to probe. */
  eligible: boolean;
}

/** Rendezvous-hashed targets beyond the ring's k. */
export const EXTRA = 2;

// Held locally: a global looked up in the hot loop is slow where globals are intercepted (jest's vm).
const imul = Math.imul;

/** FNV-1a over the name, then murmur3's finaliser: 32 well-mixed bits, cheap for 5,000 × 5,000. */
export function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = imul(h, 0x01000193);
  }
  return mix(h);
}

function mix(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The rendezvous score of target `t` for prober `p`, from their name hashes. */
function score(p: number, t: number): number {
  return mix(imul(p, 0x9e3779b1) ^ t);
}

/** The eligible nodes in ring order (by name hash; ties by name, so every agent agrees). */
export interface Ring {
  names: string[];
  hashes: Uint32Array;
  position: Map<string, number>;
}

export function ring(candidates: readonly Candidate[]): Ring {
  const nodes = candidates
    .filter((c) => c.eligible)
    .map((c) => ({ name: c.name, hash: nameHash(c.name) }))
    .sort((a, b) => a.hash - b.hash || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { names: nodes.map((n) => n.name), hashes: Uint32Array.from(nodes.map((n) => n.hash)), position: new Map(nodes.map((n, i) => [n.name, i])) };
}

/**
 * The peers `self` probes this interval: its k ring successors (when it is on the ring), then the
 * EXTRA eligible nodes of highest rendezvous score not already chosen. Never itself.
 */
export function choosePeers(self: string, candidates: readonly Candidate[], k: number, built: Ring = ring(candidates)): string[] {
  const { names, hashes, position } = built;
  const chosen: string[] = [];
  const at = position.get(self);
  // Off the ring (not eligible itself), a node still probes k + EXTRA, all by rendezvous.
  const wantRing = at === undefined ? 0 : Math.min(k, names.length - 1);
  for (let i = 1; i <= wantRing; i++) {
    const name = names[(at! + i) % names.length];
    chosen.push(name);
  }
  const available = names.length - (at === undefined ? 0 : 1 + wantRing);
  const wantExtra = Math.min(k + EXTRA - chosen.length, available);
  if (wantExtra <= 0) return chosen;
  const me = nameHash(self);
  const n = names.length;
  // The top `wantExtra` scores in one pass over the ring (skipping self and its ring successors by
  // position, not by name): O(n) integer work, a few milliseconds on 5,000 nodes.
  const top: { i: number; score: number }[] = [];
  let floor = -1;
  for (let i = 0; i < n; i++) {
    if (at !== undefined && (i - at + n) % n <= wantRing) continue;
    const s = score(me, hashes[i]);
    if (s <= floor) continue;
    let j = top.length;
    while (j > 0 && top[j - 1].score < s) j--;
    top.splice(j, 0, { i, score: s });
    if (top.length > wantExtra) top.pop();
    if (top.length === wantExtra) floor = top[top.length - 1].score;
  }
  return [...chosen, ...top.map((t) => names[t.i])];
}

/**
 * Who probes `target`: its k ring predecessors and every node whose rendezvous extras include it.
 * The plugin asks this for `node X`, to read only the reports of X's probers (k + a few GETs), not
 * every report. O(n · EXTRA) per prober considered: fine for a single `node` run on 5,000 nodes.
 */
export function probersOf(target: string, candidates: readonly Candidate[], k: number): string[] {
  const built = ring(candidates);
  const found: string[] = [];
  for (const c of candidates) {
    if (c.name === target) continue;
    if (choosePeers(c.name, candidates, k, built).includes(target)) found.push(c.name);
  }
  return found;
}
