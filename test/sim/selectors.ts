// Field and label selectors as the API server evaluates them (the subset kubectl and netcheck use).

type Obj = Record<string, any>;

function fieldValue(obj: Obj, path: string): string {
  let value: any = obj;
  for (const part of path.split('.')) value = value?.[part];
  // `source` on events means source.component; an absent field matches the empty string.
  if (path === 'source') value = obj.source?.component;
  return value === undefined || value === null ? '' : String(value);
}

export function fieldMatcher(selector: string | null): (obj: Obj) => boolean {
  if (!selector) return () => true;
  const terms = selector
    .split(',')
    .filter(Boolean)
    .map((term) => {
      const m = /^([^!=]+)(==|!=|=)(.*)$/.exec(term);
      if (!m) throw new Error(`invalid field selector term ${JSON.stringify(term)}`);
      return { path: m[1], negate: m[2] === '!=', value: m[3] };
    });
  return (obj) => terms.every((t) => (fieldValue(obj, t.path) === t.value) !== t.negate);
}

export function labelMatcher(selector: string | null): (obj: Obj) => boolean {
  if (!selector) return () => true;
  // Split on commas outside parentheses: "a in (x,y),b".
  const terms = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  const tests = terms.map((raw) => {
    const term = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(term))) {
      const [, key, op, list] = m;
      const values = list.split(',').map((v) => v.trim());
      return (l: Obj) => (op === 'in' ? values.includes(l[key]) : !values.includes(l[key]));
    }
    if ((m = /^([^!=]+)(==|!=|=)(.*)$/.exec(term))) {
      const [, key, op, value] = m;
      return (l: Obj) => (l[key.trim()] === value.trim()) !== (op === '!=');
    }
    if (term.startsWith('!')) return (l: Obj) => !(term.slice(1) in l);
    return (l: Obj) => term in l;
  });
  return (obj) => tests.every((t) => t(obj.metadata?.labels ?? {}));
}
