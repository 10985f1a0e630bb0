// Where a V8 heap snapshot's memory is: self sizes summed by node type (code, strings, objects,
// closures, arrays...) and the largest object groups by constructor name. Prints Markdown.
//
//   node bench/heap-breakdown.mjs FILE.heapsnapshot
import fs from 'node:fs';

const snap = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const [T, N, S] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
const byType = new Map();
const byName = new Map();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += fields.length) {
  const type = types[snap.nodes[i + T]];
  const size = snap.nodes[i + S];
  total += size;
  byType.set(type, (byType.get(type) ?? 0) + size);
  if (type === 'object' || type === 'closure' || type === 'native') {
    const name = `${type === 'closure' ? 'closure ' : ''}${snap.strings[snap.nodes[i + N]]}`.slice(0, 60);
    const e = byName.get(name) ?? { size: 0, count: 0 };
    e.size += size;
    e.count++;
    byName.set(name, e);
  }
}
const mib = (n) => `${(n / 1048576).toFixed(2)} MiB`;
const rows = [...byType].sort((a, b) => b[1] - a[1]);
console.log(`V8 heap in the snapshot: ${mib(total)} (self sizes)\n`);
console.log('| kind | size | share |\n|---|---|---|');
for (const [type, size] of rows) if (size / total >= 0.005) console.log(`| ${type} | ${mib(size)} | ${((100 * size) / total).toFixed(0)} % |`);
console.log('\n| largest object groups (constructor) | count | size |\n|---|---|---|');
for (const [name, e] of [...byName].sort((a, b) => b[1].size - a[1].size).slice(0, 10)) console.log(`| ${name.replace(/\|/g, '\\|')} | ${e.count} | ${mib(e.size)} |`);
