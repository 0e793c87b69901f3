// The script `nebula rollback` and `deploys --remote` run on the server, run for real by bash:
// here for a local remote, and through the TEST STAND-IN for ssh (fixtures/fake-ssh.sh: no ssh
// server runs here), which hands the remote command line to sh, as a login shell whose sh is dash
// would.
import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../ops/test-support/services';
import { serverScript, shellPath, shellQuote } from '../src/deploy/server-script';
import { ServerShell } from '../src/deploy/server-shell';

const run = promisify(execFile);
const fakeSsh = join(import.meta.dirname, 'fixtures', 'fake-ssh.sh');
const PRINT_BIN = 'printf "%s\\n" "$bin"';

describe('the server script (real bash; ssh stood in for)', () => {
  let root: { path: string; remove: () => Promise<void> };
  let repo: string;
  let runtime: string;

  beforeAll(async () => {
    root = await tempDir('nebula-server-script-');
    // A runtime folder whose name printf %q writes as $'...', which dash cannot read back.
    runtime = join(root.path, 'run\ttime');
    repo = join(root.path, "owner's nebula.git");
    await mkdir(join(repo, 'hooks'), { recursive: true });
    await mkdir(join(runtime, 'bin'), { recursive: true });
    // The wrapper as hooks/install.sh writes it.
    const quoted = (await run('bash', ['-c', 'printf %q "$1"', 'nebula', join(runtime, 'bin', 'post-receive')])).stdout;
    expect(quoted).toContain("$'");
    await writeFile(join(repo, 'hooks', 'post-receive'), `#!/usr/bin/env bash\nexec ${quoted} "$@"\n`);
    await chmod(join(repo, 'hooks', 'post-receive'), 0o755);
  });

  afterAll(async () => {
    await root?.remove();
  });

  it('finds the runtime folder from the hook install.sh wrote, here and over ssh', async () => {
    const local = await new ServerShell({ kind: 'local', path: repo }, root.path).run(serverScript(repo, PRINT_BIN), []);
    expect(local).toEqual({ code: 0, stdout: [join(runtime, 'bin')], stderr: [] });

    const ssh = { kind: 'ssh' as const, destination: 'owner@homebox', user: 'owner', host: 'homebox', port: null, path: repo };
    // Like GIT_SSH_COMMAND, the ssh command is a shell command line.
    const sshCommand = `FAKE_SSH_LOG=${shellQuote(join(root.path, 'ssh.log'))} ${shellQuote(fakeSsh)}`;
    const remote = await new ServerShell(ssh, root.path, sshCommand).run(serverScript(repo, PRINT_BIN), []);
    expect(remote).toEqual({ code: 0, stdout: [join(runtime, 'bin')], stderr: [] });
  });

  it('expands ~name on the server', async () => {
    const { username, homedir } = userInfo();
    const result = await new ServerShell({ kind: 'local', path: root.path }, root.path).run(`printf "%s\\n" ${shellPath(`~${username}/my repo.git`)}`, []);
    expect(result.stdout).toEqual([join(homedir, 'my repo.git')]);
  });

  it('says so when the hook cannot be read', async () => {
    const missing = join(root.path, 'nowhere.git');
    const result = await new ServerShell({ kind: 'local', path: missing }, root.path).run(serverScript(missing, PRINT_BIN), []);
    expect(result).toEqual({
      code: 127,
      stdout: [],
      stderr: [`cannot read ${missing}/hooks/post-receive on the server: the remote must name the bare repo that hooks/install.sh set up (or give --runtime)`],
    });
  });
});
