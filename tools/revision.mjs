// The source revision stamped into builds (netcheck_build_info, `version`): a tree with uncommitted
// changes says so.
import { execFileSync } from 'node:child_process';

export function revision() {
  try {
    const git = (...args) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const sha = git('rev-parse', '--short=12', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') ? `${sha}-dirty` : sha;
  } catch {
    return 'unknown';
  }
}
