// Where the kubelet's config file is on this host. kubeadm puts it at /var/lib/kubelet/config.yaml,
// but k0s, RKE2, microk8s and hand-built nodes put it elsewhere; the kubelet's own command line
// (--config) is the authority, read from /proc under the host root like any other host file.

import { parseCommandFlags } from '../parsers/command-flags';
import { HOST_DIR_LIMITS, HOST_FILE_LIMITS, KUBEADM_KUBELET_CONFIG, KUBELET_DROP_IN_DIR } from './readers';
import type { HostRoot } from './root';

/** Looked up again this often, and whenever the file it named has gone. */
const RESCAN_MS = 10 * 60_000;

export class KubeletConfigLocator {
  private found?: { path: string; dir?: string; named: boolean; at: number };

  constructor(
    private readonly root: HostRoot,
    private readonly explicit?: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** A host path relative to the root ("var/lib/kubelet/config.yaml"). */
  async path(signal?: AbortSignal): Promise<string> {
    if (this.explicit) return this.explicit.replace(/^\/+/, '');
    return (await this.locate(signal)).path;
  }

  /**
   * Whether the path was named (this agent's --kubelet-config, or the kubelet's own --config) rather
   * than guessed: a named file the agent cannot see is not mounted into it, and proves nothing about
   * what the kubelet runs with.
   */
  async named(signal?: AbortSignal): Promise<boolean> {
    if (this.explicit) return true;
    return (await this.locate(signal)).named;
  }

  /**
   * The kubelet's --config-dir (drop-ins), relative to the root: from its command line; without one
   * there, none; when the command line cannot be read, kubeadm's /etc/kubernetes/kubelet.conf.d.
   */
  async configDir(signal?: AbortSignal): Promise<string | undefined> {
    return (await this.locate(signal)).dir;
  }

  private async locate(signal?: AbortSignal): Promise<{ path: string; dir?: string; named: boolean }> {
    if (this.found && this.now() - this.found.at < RESCAN_MS) return this.found;
    const flags = await this.fromKubeletProcess(signal).catch(() => undefined);
    const config = flags?.get('config');
    const dir = flags ? flags.get('config-dir') : KUBELET_DROP_IN_DIR;
    const path = (config && config !== 'true' ? config : KUBEADM_KUBELET_CONFIG).replace(/^\/+/, '');
    this.found = { path, ...(dir && dir !== 'true' ? { dir: dir.replace(/^\/+/, '') } : {}), named: Boolean(config && config !== 'true'), at: this.now() };
    return this.found;
  }

  /** Forget the cached path (the file it named is gone: the kubelet may have been reconfigured). */
  forget(): void {
    this.found = undefined;
  }

  /** The kubelet's flags, from the first process named kubelet; undefined when none is visible. */
  private async fromKubeletProcess(signal?: AbortSignal): Promise<Map<string, string> | undefined> {
    const pids = ((await this.root.list('proc', HOST_DIR_LIMITS.processes, signal)) ?? []).filter((n) => /^\d+$/.test(n));
    const comms = await Promise.all(pids.map((pid) => this.root.readText(`proc/${pid}/comm`, 256, signal).catch(() => null)));
    for (const [i, comm] of comms.entries()) {
      if (comm?.trim() !== 'kubelet') continue;
      const cmdline = await this.root.readText(`proc/${pids[i]}/cmdline`, HOST_FILE_LIMITS.cmdline, signal).catch(() => null);
      if (cmdline) return parseCommandFlags(cmdline.split('\0').filter(Boolean));
    }
    return undefined;
  }
}
