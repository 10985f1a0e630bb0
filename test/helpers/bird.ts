// Real BIRD 1.6 daemons peering on loopback, as Calico's node-to-node mesh does. Each mesh takes
// its own random 127.x.y.0/24, so two test files (or two checkouts) never share an address.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tmpdir } from '../e2e/harness';

const PORT = 1179;

export class BirdMesh {
  readonly dir = tmpdir();
  private readonly base = `127.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}.`;
  private readonly birds = new Map<number, ChildProcess>();
  private output = '';

  /** The address of member `i`. */
  addr(i: number): string {
    return `${this.base}${i}`;
  }

  /** Member `i`'s control socket (Calico's bird.ctl). */
  socket(i: number): string {
    return path.join(this.dir, `${i}.ctl`);
  }

  /** Starts member `i` peering with `peers` (members that may or may not run). */
  start(i: number, peers: number[]): void {
    const ip = this.addr(i);
    const protocols = peers
      .map(
        (p) =>
          `protocol bgp Mesh_${this.addr(p).replace(/\./g, '_')} {\n  local ${ip} as 64512;\n  neighbor ${this.addr(p)} port ${PORT} as 64512;\n  connect delay time 1;\n  connect retry time 1;\n  error wait time 1, 2;\n  hold time 6;\n}\n`,
      )
      .join('');
    const conf = path.join(this.dir, `${i}.conf`);
    fs.writeFileSync(conf, `router id ${ip};\nlisten bgp address ${ip} port ${PORT};\nprotocol device { scan time 10; }\n${protocols}`);
    const child = spawn('bird', ['-f', '-c', conf, '-s', this.socket(i), '-P', path.join(this.dir, `${i}.pid`)], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c) => (this.output += `[bird ${ip}] ${c}`));
    child.stderr!.on('data', (c) => (this.output += `[bird ${ip}] ${c}`));
    this.birds.set(i, child);
  }

  birdc(i: number): string {
    return spawnSync('birdc', ['-s', this.socket(i), 'show', 'protocols'], { encoding: 'utf8' }).stdout ?? '';
  }

  /** Waits until member `i` has `count` sessions Established; on failure says what BIRD printed. */
  async established(i: number, count: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.birdc(i).match(/Established/g) ?? []).length !== count) {
      if (Date.now() > deadline) throw new Error(`BIRD ${this.addr(i)} did not reach ${count} Established sessions in ${timeoutMs / 1000}s:\n${this.birdc(i)}\n${this.output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  stop(i: number): void {
    this.birds.get(i)?.kill('SIGTERM');
    this.birds.delete(i);
  }

  stopAll(): void {
    for (const i of [...this.birds.keys()]) this.stop(i);
  }
}
