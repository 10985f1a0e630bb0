// Every host path the agent touches goes through here. The host's / is mounted at --host-root
// (/host in the DaemonSet); paths are resolved the way a chroot would resolve them (openat2's
// RESOLVE_IN_ROOT, done in user space): an absolute symlink is relative to the host root and `..`
// stops at it, so nothing outside the root is ever opened, whatever the host's files point at.
import { constants, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { Semaphore } from '../util/deadline';

/** Linux gives up after 40 symlinks in one lookup (ELOOP); so do we. */
const MAX_LINKS = 40;
/** Reads go through a few reused chunks: memory does not grow with the number of files read. */
const CHUNK_BYTES = 16 * 1024;
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Why a host file could not be read, worded for a person and naming the host path. */
export class HostFileError extends Error {
  constructor(
    readonly hostPath: string,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'HostFileError';
  }
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** "/run/flannel/subnet.env" for a path relative to the root. */
export function hostDisplay(rel: string): string {
  return (
    '/' +
    rel
      .split('/')
      .filter((p) => p && p !== '.')
      .join('/')
  );
}

export interface ResolveOptions {
  /** What the final component must be. */
  expect?: 'file' | 'directory' | 'socket';
}

export interface Resolved {
  /** The path to open, inside the root. */
  real: string;
  /** lstat of `real` (never a symlink). */
  stat: Stats;
}

export class HostRoot {
  private readonly chunks: Buffer[] = [];
  private readonly slots: Semaphore;
  /** Resolved directories, kept for one cycle: 400 interfaces share sys/class/net's lookup. */
  private dirs = new Map<string, string>();

  private constructor(
    readonly dir: string,
    concurrency: number,
  ) {
    this.slots = new Semaphore(concurrency);
  }

  /** The root itself may be a symlink (e.g. /host → /mnt/host); everything below it is resolved in it. */
  static async open(dir: string, concurrency = 4): Promise<HostRoot> {
    let real: string;
    try {
      real = await fs.realpath(dir);
    } catch (e) {
      throw new HostFileError('/', `--host-root ${dir} cannot be opened: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (!(await fs.stat(real)).isDirectory()) throw new HostFileError('/', `--host-root ${dir} is not a directory`);
    return new HostRoot(real, concurrency);
  }

  /** Forget cached lookups: each check cycle sees the host as it is now. */
  newCycle(): void {
    this.dirs = new Map();
  }

  /** Reads in flight hold one of a few slots; the rest wait (abandoning the wait if `signal` aborts). */
  get waiting(): number {
    return this.slots.waiting;
  }

  /**
   * Resolves `rel` (relative to the host's /) inside the root. Returns undefined when a component
   * does not exist; throws HostFileError for loops, non-directories in the middle, or a final
   * component of the wrong kind.
   */
  async resolve(rel: string, opts: ResolveOptions = {}): Promise<Resolved | undefined> {
    const display = hostDisplay(rel);
    const pending = rel.split('/').filter((p) => p && p !== '.');
    let done: string[] = [];
    let links = 0;
    let stat: Stats | undefined;
    while (pending.length) {
      const part = pending.shift()!;
      if (part === '..') {
        done.pop(); // never above the root
        stat = undefined;
        continue;
      }
      const key = [...done, part].join('/');
      const cached = this.dirs.get(key);
      if (cached !== undefined && pending.length) {
        done = cached === '' ? [] : cached.split('/');
        continue;
      }
      const candidate = path.join(this.dir, ...done, part);
      try {
        stat = await fs.lstat(candidate);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
        throw new HostFileError(display, `cannot look up ${display}: ${code ?? (e as Error).message}`, code);
      }
      if (stat.isSymbolicLink()) {
        if (++links > MAX_LINKS) throw new HostFileError(display, `${display}: too many levels of symbolic links`, 'ELOOP');
        const target = await fs.readlink(candidate);
        const parts = target.split('/').filter((p) => p && p !== '.');
        if (target.startsWith('/')) done = []; // absolute: from the host's /, not ours
        pending.unshift(...parts);
        stat = undefined;
        continue;
      }
      done.push(part);
      if (pending.length) {
        if (!stat.isDirectory()) throw new HostFileError(display, `${display}: ${hostDisplay(done.join('/'))} is not a directory`, 'ENOTDIR');
        this.dirs.set(key, done.join('/'));
      }
    }
    const real = path.join(this.dir, ...done);
    stat ??= await fs.lstat(real).catch(() => undefined);
    if (!stat) return undefined;
    const want = opts.expect;
    if (want === 'file' && !stat.isFile()) throw new HostFileError(display, `${display} is ${kindOf(stat)}, not a regular file; not read`, 'EFTYPE');
    if (want === 'directory' && !stat.isDirectory()) throw new HostFileError(display, `${display} is ${kindOf(stat)}, not a directory`, 'ENOTDIR');
    if (want === 'socket' && !stat.isSocket()) throw new HostFileError(display, `${display} is ${kindOf(stat)}, not a socket`, 'EFTYPE');
    return { real, stat };
  }

  /** Where a symbolic link points (its text, unresolved), or undefined when `rel` is not a link. */
  async readLink(rel: string): Promise<string | undefined> {
    const parts = rel.split('/').filter((p) => p && p !== '.');
    const parent = await this.resolve(parts.slice(0, -1).join('/'), { expect: 'directory' });
    if (!parent || !parts.length) return undefined;
    const link = path.join(parent.real, parts[parts.length - 1]);
    const st = await fs.lstat(link).catch(() => undefined);
    return st?.isSymbolicLink() ? fs.readlink(link) : undefined;
  }

  /**
   * The text of a regular file, or null when it does not exist. Reads at most `maxBytes` (a larger
   * file is refused, not truncated: half a file parses into wrong answers), one reused chunk at a
   * time, with a few reads at once across the whole agent. FIFOs, sockets and devices are refused
   * before they are opened, so nothing can block the read.
   */
  async readText(rel: string, maxBytes: number, signal?: AbortSignal): Promise<string | null> {
    const display = hostDisplay(rel);
    const resolved = await this.resolve(rel, { expect: 'file' });
    if (!resolved) return null;
    const release = await this.slots.acquire(signal);
    const chunk = this.chunks.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
    let handle: fs.FileHandle | undefined;
    try {
      try {
        handle = await fs.open(resolved.real, OPEN_FLAGS);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return null;
        if (code === 'ELOOP') throw new HostFileError(display, `${display} changed into a symbolic link while being opened; not read`, code);
        if (code === 'EACCES' || code === 'EPERM') throw new HostFileError(display, `permission denied reading ${display}`, code);
        throw new HostFileError(display, `cannot open ${display}: ${code ?? (e as Error).message}`, code);
      }
      // The file we opened must be the one we resolved (not swapped between lookup and open).
      const st = await handle.stat();
      if (!st.isFile() || st.ino !== resolved.stat.ino || st.dev !== resolved.stat.dev) {
        throw new HostFileError(display, `${display} changed while being opened; not read`, 'EAGAIN');
      }
      const decoder = new StringDecoder('utf8');
      let text = '';
      let total = 0;
      for (;;) {
        signal?.throwIfAborted();
        const { bytesRead } = await handle.read(chunk, 0, Math.min(CHUNK_BYTES, maxBytes + 1 - total), null);
        if (bytesRead === 0) break;
        total += bytesRead;
        if (total > maxBytes) throw new HostFileError(display, `${display} is larger than ${maxBytes} bytes; not read`, 'EFBIG');
        text += decoder.write(chunk.subarray(0, bytesRead));
      }
      return text + decoder.end();
    } catch (e) {
      if (e instanceof HostFileError || signal?.aborted) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new HostFileError(display, `cannot read ${display}: ${code ?? (e as Error).message}`, code);
    } finally {
      await handle?.close().catch(() => {});
      this.chunks.push(chunk);
      release();
    }
  }

  /** Names in a directory (at most `maxEntries`; more is an error), or null when it does not exist. */
  async list(rel: string, maxEntries: number, signal?: AbortSignal): Promise<string[] | null> {
    const display = hostDisplay(rel);
    const resolved = await this.resolve(rel, { expect: 'directory' });
    if (!resolved) return null;
    const release = await this.slots.acquire(signal);
    try {
      const dir = await fs.opendir(resolved.real, { bufferSize: 64 });
      const names: string[] = [];
      try {
        for await (const entry of dir) {
          signal?.throwIfAborted();
          if (names.length === maxEntries) throw new HostFileError(display, `${display} has more than ${maxEntries} entries; not listed`, 'E2BIG');
          names.push(entry.name);
        }
      } finally {
        // for-await closes the handle when the loop ends normally; close() is harmless otherwise.
        await dir.close().catch(() => {});
      }
      return names.sort();
    } catch (e) {
      if (e instanceof HostFileError || signal?.aborted) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') throw new HostFileError(display, `permission denied listing ${display}`, code);
      throw new HostFileError(display, `cannot list ${display}: ${code ?? (e as Error).message}`, code);
    } finally {
      release();
    }
  }
}
