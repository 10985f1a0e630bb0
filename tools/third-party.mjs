// What the shipped bundles contain from other projects, read from esbuild's metafile: their
// license notices (bundling strips the files) and a CycloneDX SBOM. Both are deterministic, so a
// rebuild from the same lockfile gives the same bytes.
import fs from 'node:fs';
import path from 'node:path';

/** Every input reachable from the given output entries, following their chunk imports. */
function shippedInputs(metafile, entries) {
  const inputs = new Set();
  const seen = new Set();
  const visit = (out) => {
    if (seen.has(out) || !metafile.outputs[out]) return;
    seen.add(out);
    for (const input of Object.keys(metafile.outputs[out].inputs)) inputs.add(input);
    for (const imp of metafile.outputs[out].imports ?? []) if (!imp.external) visit(imp.path);
  };
  entries.forEach(visit);
  return inputs;
}

/** node_modules/a/node_modules/@b/c/lib/x.js → node_modules/a/node_modules/@b/c */
function packageRoot(input) {
  const parts = input.split('/');
  const i = parts.lastIndexOf('node_modules');
  if (i < 0) return undefined;
  return parts.slice(0, i + (parts[i + 1]?.startsWith('@') ? 3 : 2)).join('/');
}

function licenseText(dir) {
  const file = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying|notice)(\.|$)/i.test(f));
  return file ? fs.readFileSync(path.join(dir, file), 'utf8').trim() : undefined;
}

export function thirdParty(metafile, entries, product) {
  const roots = new Set([...shippedInputs(metafile, entries)].map(packageRoot).filter(Boolean));
  const packages = [...roots]
    .map((dir) => {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      const license = typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? 'UNKNOWN');
      return { name: pkg.name, version: pkg.version, license, text: licenseText(dir), homepage: pkg.homepage };
    })
    .sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
  const unique = packages.filter((p, i) => i === 0 || p.name !== packages[i - 1].name || p.version !== packages[i - 1].version);

  const notices = [
    `${product.name} ${product.version} bundles the following third-party software.`,
    'Each is listed with its license as published in its package; the full texts follow.',
    '',
    ...unique.map((p) => `- ${p.name} ${p.version} (${p.license})${p.homepage ? ` ${p.homepage}` : ''}`),
    '',
    ...unique.flatMap((p) => ['='.repeat(78), `${p.name} ${p.version} (${p.license})`, '='.repeat(78), p.text ?? `(the package ships no license file; its package.json says ${p.license})`, '']),
  ].join('\n');

  const purl = (p) => `pkg:npm/${p.name.startsWith('@') ? `%40${p.name.slice(1)}` : p.name}@${p.version}`;
  const licenses = (id) => (/^[A-Za-z0-9.+-]+$/.test(id) ? [{ license: { id } }] : [{ expression: id }]);
  const sbom = {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    version: 1,
    metadata: {
      tools: { components: [{ type: 'application', name: 'esbuild metafile (tools/third-party.mjs)' }] },
      component: {
        type: 'application',
        'bom-ref': `pkg:npm/${product.name}@${product.version}`,
        name: product.name,
        version: product.version,
        licenses: licenses(product.license),
        purl: `pkg:npm/${product.name}@${product.version}`,
      },
    },
    components: unique.map((p) => ({ type: 'library', 'bom-ref': purl(p), name: p.name, version: p.version, licenses: licenses(p.license), purl: purl(p) })),
    dependencies: [{ ref: `pkg:npm/${product.name}@${product.version}`, dependsOn: unique.map(purl) }],
  };
  return { notices: `${notices}\n`, sbom: `${JSON.stringify(sbom, null, 2)}\n`, packages: unique };
}
