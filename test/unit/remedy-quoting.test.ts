// A lint over the code that builds fixes (src/checks, src/remedy): a command string may take a
// value only through shq() (src/remedy/shell.ts), or the diagnosed node's name (the engine sets
// `node` from the name the API server validated), or a module constant (UPPER_CASE). A command
// built by plain interpolation or by `+` fails here, naming the file and line.
import fs from 'node:fs';
import path from 'node:path';
import { templates, unquoted } from '../helpers/shell-lint';

const ROOT = path.resolve(__dirname, '../..');
const DIRS = ['src/checks', 'src/remedy'];

describe('every value enters a command through shq()', () => {
  const files = DIRS.flatMap((d) =>
    fs
      .readdirSync(path.join(ROOT, d))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join(d, f)),
  );
  const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

  test.each(files)('%s', (file) => {
    expect(unquoted(file, read(file))).toEqual([]);
  });

  test('the lint finds an unquoted value, and passes the quoted one', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: source text under test, not a template
    const bad = "const fix = (a) => [onNode(`nmcli connection up ${a.connection}`), onNode(`sed -i x ${f.file} && ifup ${shq(a.iface)}`)];\nconst c = 'ip link set ' + iface;";
    expect(unquoted('bad.ts', bad)).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source text under test, not a template
      'bad.ts:1: ${a.connection} enters a command without shq()',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source text under test, not a template
      'bad.ts:1: ${f.file} enters a command without shq()',
      "bad.ts:2: a command built with + ('ip link set ' +)",
    ]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: source text under test, not a template
    const good = 'const fix = (a) => [onNode(`nmcli connection up ${shq(a.connection)}`), onCluster(`kubectl uncordon ${a.node}`), onNode(`echo x > ${MODULES_FILE}`)];';
    expect(unquoted('good.ts', good)).toEqual([]);
  });

  test('nested templates are read as the shell sees them', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: source text under test, not a template
    expect(templates('`sysctl -w ${shq(`${f.key}=${f.value}`)}`').map((t) => t.exprs)).toEqual([['f.key', 'f.value'], ['shq(`${f.key}=${f.value}`)']]);
  });
});
