import { setMaxListeners } from 'node:events';
/** A fact, socket read or cycle that ran past its deadline; its message says what and how long. */
export class DeadlineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeadlineError';
  }
}

/** "2s", "1.5s", "300ms": how people read a short timeout. */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(1))}s` : `${ms}ms`;
}

/**
 * Runs `work` with a total (not idle) deadline: a peer that drips one byte at a time cannot keep it
 * going. `work` gets a signal that aborts at the deadline so it can release what it holds (close a
 * socket, give back a buffer); the returned promise settles at the deadline whether or not `work`
 * cooperates, so a read stuck in the kernel cannot hold up the caller.
 */
export function withDeadline<T>(ms: number, what: string, work: (signal: AbortSignal) => Promise<T>, parent?: AbortSignal): Promise<T> {
  const controller = new AbortController();
  // One fact reader fans out to many (a read per link, each waiting on the read semaphore), each
  // listening for this abort and removing its listener when done: the count is ours and bounded
  // by the host caps, not a leak, so Node's warning past 10 listeners would only be noise in logs.
  setMaxListeners(0, controller.signal);
  const error = new DeadlineError(`timed out after ${formatMs(ms)} ${what}`);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      controller.abort(error);
      reject(error);
    }, ms);
    timer.unref?.();
    const onParentAbort = () => {
      const reason = parent?.reason instanceof Error ? parent.reason : new DeadlineError(`stopped ${what}`);
      controller.abort(reason);
      reject(reason);
    };
    if (parent?.aborted) return onParentAbort();
    parent?.addEventListener('abort', onParentAbort, { once: true });
    work(controller.signal)
      .then(resolve, reject)
      .finally(() => {
        clearTimeout(timer);
        parent?.removeEventListener('abort', onParentAbort);
      });
  });
}

/**
 * At most `size` holders at once; a waiter whose signal aborts leaves the queue, so abandoned
 * waiters do not pile up behind a holder stuck in a read that never returns.
 */
export class Semaphore {
  private free: number;
  private readonly waiters: { grant: () => void }[] = [];

  constructor(readonly size: number) {
    this.free = size;
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.free > 0) {
      this.free--;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
    return this.releaser();
  }

  /** Holders waiting for a place (for tests and metrics). */
  get waiting(): number {
    return this.waiters.length;
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next.grant();
      else this.free++;
    };
  }
}
