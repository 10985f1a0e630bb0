// Where the kubelet's config file is on this host. kubeadm puts it at /var/lib/kubelet/config.yaml,
// but k0s, RKE2, microk8s and hand-built nodes put it elsewhere; the kubelet's own command line
// (--config) is the authority, read from /proc under the host root like any other host file.

import { parseCommandFlags } from '../parsers/command-flags';
import { HOST_DIR_LIMITS, HOST_FILE_LIMITS, KUBEADM_KUBELET_CONFIG } from './readers';
import type { HostRoot } from './root';

/** Looked up again this often, and whenever the file it named has gone. */
const RESCAN_MS = 10 * 60_000;

export class KubeletConfigLocator {
  private found?: { path: string; at: number };

  constructor(
    private readonly root: HostRoot,
    private readonly explicit?: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** A host path relative to the root ("var/lib/kubelet/config.yaml"). */
  async path(signal?: AbortSignal): Promise<string> {
    if (this.explicit) return this.explicit.replace(/^\/+/, '');
    if (this.found && this.now() - this.found.at < RESCAN_MS) return this.found.path;
    const fromCommandLine = await this.fromKubeletProcess(signal).catch(() => undefined);
    const path = (fromCommandLine ?? KUBEADM_KUBELET_CONFIG).replace(/^\/+/, '');
    this.found = { path, at: this.now() };
    return path;
  }

  /** Forget the cached path (the file it named is gone: the kubelet may have been reconfigured). */
  forget(): void {
    this.found = undefined;
  }

  private async fromKubeletProcess(signal?: AbortSignal): Promise<string | undefined> {
    const pids = ((await this.root.list('proc', HOST_DIR_LIMITS.processes, signal)) ?? []).filter((n) => /^\d+$/.test(n));
    const comms = await Promise.all(pids.map((pid) => this.root.readText(`proc/${pid}/comm`, 256, signal).catch(() => null)));
    for (const [i, comm] of comms.entries()) {
      if (comm?.trim() !== 'kubelet') continue;
      const cmdline = await this.root.readText(`proc/${pids[i]}/cmdline`, HOST_FILE_LIMITS.cmdline, signal).catch(() => null);
      const config = cmdline && parseCommandFlags(cmdline.split('\0').filter(Boolean)).get('config');
      if (config && config !== 'true') return config;
    }
    return undefined;
  }
}
