// Exec credential plugins (client.authentication.k8s.io), as client-go runs them: the kubeconfig's
// command with its args and env, KUBERNETES_EXEC_INFO describing the request, the terminal's stdin
// only when the plugin may be interactive, and its ExecCredential cached until it expires.
import { spawn } from 'node:child_process';
import type { ClusterEntry, ExecConfig } from './kubeconfig';
import { KubeconfigError } from './kubeconfig';

export interface ExecResult {
  token?: string;
  cert?: Buffer;
  key?: Buffer;
  /** When to run the plugin again; undefined: never within this process. */
  expires?: number;
}

/** An ExecCredential is a token or a certificate: a few KiB. More is not one. */
const MAX_OUTPUT_BYTES = 1024 * 1024;
/** A plugin that cannot ask the user anything has no reason to take longer than this. */
const NON_INTERACTIVE_TIMEOUT_MS = 60_000;

export class ExecCredentialSource {
  private cached?: ExecResult;
  private running?: Promise<ExecResult>;

  constructor(
    private readonly exec: ExecConfig,
    private readonly user: string,
    private readonly cluster: ClusterEntry & { server: string },
    /** The certificate authority as read (from -data or from the file), which the plugin is told as data. */
    private readonly ca: Buffer | undefined,
    private readonly stdinIsTerminal = !!process.stdin.isTTY,
  ) {}

  /** The credential, from the cache while it is valid (with 10 s to spare), else from the plugin. */
  async get(): Promise<ExecResult> {
    if (this.cached && (this.cached.expires === undefined || this.cached.expires - 10_000 > Date.now())) return this.cached;
    this.running ??= this.run().finally(() => (this.running = undefined));
    this.cached = await this.running;
    return this.cached;
  }

  /** After a 401: the credential is not good any more. Returns whether running the plugin again may help. */
  invalidate(): boolean {
    const had = this.cached !== undefined;
    this.cached = undefined;
    return had;
  }

  private interactive(): boolean {
    const mode = this.exec.interactiveMode ?? 'IfAvailable';
    if (mode === 'Never') return false;
    if (mode === 'Always' && !this.stdinIsTerminal) {
      throw new KubeconfigError(`exec plugin of user "${this.user}" needs a terminal (interactiveMode: Always) but standard input is not one`);
    }
    return this.stdinIsTerminal;
  }

  private execInfo(interactive: boolean): string {
    const spec: Record<string, unknown> = { interactive };
    if (this.exec.provideClusterInfo) {
      const c = this.cluster;
      const config = c.extensions?.find((e) => e.name === 'client.authentication.k8s.io/exec')?.extension;
      spec.cluster = {
        server: c.server,
        ...(c['tls-server-name'] ? { 'tls-server-name': c['tls-server-name'] } : {}),
        ...(c['insecure-skip-tls-verify'] ? { 'insecure-skip-tls-verify': true } : {}),
        ...(this.ca ? { 'certificate-authority-data': this.ca.toString('base64') } : {}),
        ...(c['proxy-url'] ? { 'proxy-url': c['proxy-url'] } : {}),
        config: config ?? null, // as client-go: null when the cluster has no exec extension
      };
    }
    return JSON.stringify({ apiVersion: this.exec.apiVersion, kind: 'ExecCredential', spec });
  }

  private run(): Promise<ExecResult> {
    const interactive = this.interactive();
    const { command, args = [], env = [] } = this.exec;
    const childEnv: NodeJS.ProcessEnv = { ...process.env };
    for (const { name, value } of env) childEnv[name] = value;
    childEnv.KUBERNETES_EXEC_INFO = this.execInfo(interactive);
    const who = `exec plugin "${command}" of user "${this.user}"`;
    return new Promise<ExecResult>((resolve, reject) => {
      // stderr is the plugin's way to talk to the user (as with kubectl); stdout is the credential.
      const child = spawn(command, args, { env: childEnv, stdio: [interactive ? 'inherit' : 'ignore', 'pipe', 'inherit'] });
      const chunks: Buffer[] = [];
      let size = 0;
      let timedOut = false;
      const timer = interactive
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, NON_INTERACTIVE_TIMEOUT_MS);
      timer?.unref?.();
      child.stdout.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_OUTPUT_BYTES) {
          child.kill('SIGKILL');
          return;
        }
        chunks.push(c);
      });
      child.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (e.code === 'ENOENT') {
          const hint = this.exec.installHint ? `: ${this.exec.installHint.replace(/\s+/g, ' ').trim()}` : '';
          reject(new KubeconfigError(`exec: executable ${command} not found (the credential plugin of user "${this.user}" is not installed)${hint}`));
        } else reject(new KubeconfigError(`${who} could not be started: ${e.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (size > MAX_OUTPUT_BYTES) return reject(new KubeconfigError(`${who} wrote more than 1 MiB: not an ExecCredential`));
        if (signal) return reject(new KubeconfigError(`${who} ${timedOut ? `did not finish within ${NON_INTERACTIVE_TIMEOUT_MS / 1000}s` : `was killed by ${signal}`}`));
        if (code !== 0) return reject(new KubeconfigError(`exec: executable ${command} failed with exit code ${code}`));
        try {
          resolve(this.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  private parse(out: string): ExecResult {
    let cred: { apiVersion?: string; kind?: string; status?: Record<string, unknown> };
    try {
      cred = JSON.parse(out);
    } catch {
      throw new KubeconfigError(`exec plugin of user "${this.user}" did not write an ExecCredential (JSON) on stdout`);
    }
    if (cred?.kind !== 'ExecCredential') throw new KubeconfigError(`exec plugin of user "${this.user}" wrote kind "${cred?.kind ?? ''}", not ExecCredential`);
    if (cred.apiVersion !== this.exec.apiVersion) {
      throw new KubeconfigError(`exec plugin is configured to use API version ${this.exec.apiVersion}, plugin returned version ${cred.apiVersion ?? ''}`);
    }
    const status = cred.status;
    if (!status || typeof status !== 'object') throw new KubeconfigError(`exec plugin of user "${this.user}" didn't return a status field`);
    const { token, clientCertificateData: cert, clientKeyData: key, expirationTimestamp } = status;
    if (typeof token !== 'string' && !(typeof cert === 'string' && typeof key === 'string')) {
      throw new KubeconfigError(`exec plugin of user "${this.user}" didn't return a token or cert/key pair`);
    }
    if ((cert && !key) || (key && !cert)) throw new KubeconfigError(`exec plugin of user "${this.user}" returned only one of clientCertificateData and clientKeyData`);
    const expires = typeof expirationTimestamp === 'string' ? Date.parse(expirationTimestamp) : undefined;
    return {
      ...(typeof token === 'string' && token ? { token } : {}),
      ...(typeof cert === 'string' && typeof key === 'string' ? { cert: Buffer.from(cert), key: Buffer.from(key) } : {}),
      ...(expires !== undefined && Number.isFinite(expires) ? { expires } : {}),
    };
  }
}
