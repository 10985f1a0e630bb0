/** "5s", "500ms", "2m", "1h30m", or bare seconds, as kubectl's --request-timeout takes them. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const bare = /^\d+(?:\.\d+)?$/.test(trimmed);
  const parts = [...(bare ? `${trimmed}s` : trimmed).matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (!parts.length || parts.map((m) => m[0]).join('') !== (bare ? `${trimmed}s` : trimmed)) {
    throw new DurationError(`invalid duration ${JSON.stringify(text)} (use e.g. 5s, 500ms, 1m)`);
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
  const ms = Math.round(parts.reduce((sum, m) => sum + Number(m[1]) * unit[m[2] as keyof typeof unit], 0));
  if (ms <= 0) throw new DurationError(`invalid duration ${JSON.stringify(text)}: must be more than zero`);
  return ms;
}

export class DurationError extends Error {}

/** kubectl-style age: 45s, 3m20s, 5h, 2d4h. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 && m < 10 ? `${m}m${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 && h < 8 ? `${h}h${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 && d < 8 ? `${d}d${h % 24}h` : `${d}d`;
}
