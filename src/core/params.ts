// A finding's values as a NodeReport carries them: flat, typed and bounded, so the API server can
// check them (the CRD's schema) and the plugin can render the finding's wording from its own
// catalogue. Nested values (a SysctlFix, a list of them) are flattened to dotted keys
// (`fixes.0.effective.file`) and rebuilt the same way; rendering always goes through that round
// trip, on the agent too, so the text a plugin renders from a report is the agent's own.

/** One value: a string, number or boolean, or a short list of strings. */
export type ParamValue = string | number | boolean | string[];
export type Params = Record<string, ParamValue>;

export const PARAM_BOUNDS = { count: 64, key: 63, text: 1024, list: 32 } as const;
/** Keys: identifiers joined by dots, array indexes as segments. */
export const PARAM_KEY = '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z0-9_]+)*$';
const KEY = new RegExp(PARAM_KEY);
const okKey = (k: string) => k.length <= PARAM_BOUNDS.key && KEY.test(k) && !k.split('.').some((seg) => seg === '__proto__' || seg === 'prototype' || seg === 'constructor');

const clip = (s: string) => (s.length > PARAM_BOUNDS.text ? `${s.slice(0, PARAM_BOUNDS.text - 1)}…` : s);
const isStringList = (v: unknown[]): v is string[] => v.every((e) => typeof e === 'string');

/** `args` flattened: undefined and null dropped, strings clipped, at most PARAM_BOUNDS.count keys. */
export function paramsOf(args: unknown): Params {
  const out: Params = {};
  let n = 0;
  const put = (key: string, value: ParamValue) => {
    if (n >= PARAM_BOUNDS.count || !okKey(key)) return;
    out[key] = value;
    n++;
  };
  const walk = (prefix: string, v: unknown) => {
    if (v === undefined || v === null) return;
    if (typeof v === 'string') return put(prefix, clip(v));
    if (typeof v === 'number') return Number.isFinite(v) ? put(prefix, v) : undefined;
    if (typeof v === 'boolean') return put(prefix, v);
    if (Array.isArray(v)) {
      if (isStringList(v)) return put(prefix, v.slice(0, PARAM_BOUNDS.list).map(clip));
      for (const [i, e] of v.slice(0, PARAM_BOUNDS.list).entries()) walk(`${prefix}.${i}`, e);
      return;
    }
    if (typeof v === 'object') for (const [k, e] of Object.entries(v as Record<string, unknown>)) walk(prefix ? `${prefix}.${k}` : k, e);
  };
  walk('', args);
  return out;
}

/** The values a finding's templates take, rebuilt from its params (the inverse of paramsOf). */
export function argsOfParams(params: Params): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    const path = key.split('.');
    let at: Record<string, unknown> | unknown[] = root;
    path.forEach((seg, i) => {
      const last = i === path.length - 1;
      const slot = (at as Record<string, unknown>)[seg];
      if (last) (at as Record<string, unknown>)[seg] = Array.isArray(value) ? [...value] : value;
      else {
        const next = slot !== undefined && typeof slot === 'object' ? slot : /^\d+$/.test(path[i + 1]) ? [] : {};
        (at as Record<string, unknown>)[seg] = next;
        at = next as Record<string, unknown>;
      }
    });
  }
  // Arrays rebuilt from indexes may have holes where a value was dropped: close them.
  const compact = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.filter((e) => e !== undefined).map(compact);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, compact(e)]));
    return v;
  };
  return compact(root) as Record<string, unknown>;
}

/** Params as read from outside (a NodeReport): only well-formed keys and values survive, bounded. */
export function readParams(raw: unknown): Params {
  const out: Params = {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return out;
  let n = 0;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (n >= PARAM_BOUNDS.count || !okKey(k)) continue;
    if (typeof v === 'string') out[k] = clip(v);
    else if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
    else if (typeof v === 'boolean') out[k] = v;
    else if (Array.isArray(v) && v.length <= PARAM_BOUNDS.list && isStringList(v)) out[k] = v.map(clip);
    else continue;
    n++;
  }
  return out;
}
