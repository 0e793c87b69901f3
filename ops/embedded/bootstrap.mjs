// `npm start` on a machine that may have nothing yet: this file uses only Node itself, makes sure
// the npm dependencies and the system programs exist, then hands over to the TypeScript supervisor.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const say = (line) => process.stdout.write(`nebula: ${line}\n`);
const fail = (line) => {
  process.stderr.write(`nebula: ${line}\n`);
  process.exit(1);
};

function ensureNpmDependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  say('installing npm dependencies (npm ci)');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) fail('npm ci failed; see above');
}

const onPath = (program) => spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;

function ensureSystemPrograms() {
  const packages = { 'redis-server': 'redis-server', ffmpeg: 'ffmpeg', ffprobe: 'ffmpeg' };
  const missing = [...new Set(Object.entries(packages).filter(([program]) => !onPath(program)).map(([, pkg]) => pkg))];
  if (missing.length === 0) return;
  const isDebian = existsSync('/etc/debian_version') && onPath('apt-get');
  if (isDebian && process.getuid?.() === 0) {
    say(`installing ${missing.join(' ')} with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const steps = [['apt-get', ['update', '-qq']], ['apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing]]];
    for (const [cmd, args] of steps) {
      if (spawnSync(cmd, args, { stdio: 'inherit', env }).status !== 0) fail(`${cmd} ${args.join(' ')} failed`);
    }
    return;
  }
  const how = isDebian
    ? `sudo apt-get install -y ${missing.join(' ')}`
    : process.platform === 'darwin'
      ? `brew install ${missing.map((p) => (p === 'redis-server' ? 'redis' : p)).join(' ')}`
      : `install ${missing.join(' and ')} with your package manager`;
  fail(`Nebula needs ${missing.join(' and ')}, which ${missing.length > 1 ? 'are' : 'is'} not installed. Run: ${how}`);
}

ensureNpmDependencies();
ensureSystemPrograms();
// Both hooks: the supervisor is an ES module, @nebula/contract and @nebula/shared are CommonJS TypeScript.
(await import('tsx/cjs/api')).register();
(await import('tsx/esm/api')).register();
const { main } = await import('./supervisor.ts');
await main(root);
