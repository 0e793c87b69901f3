import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { basename, delimiter, join } from 'node:path';

/** The players `nebula play --open` knows, in the order it tries them. */
export const PLAYERS = ['mpv', 'vlc'] as const;

/** The first of `names` that is an executable file in one of PATH's folders, as a shell would find it. */
export async function findOnPath(names: readonly string[], path = process.env.PATH ?? ''): Promise<string | null> {
  const folders = path.split(delimiter).filter(Boolean);
  for (const name of names) {
    for (const folder of folders) {
      const candidate = join(folder, name);
      if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
    }
  }
  return null;
}

/**
 * Runs the player in the foreground with the terminal, like typing `mpv <url>`; resolves with its
 * exit code. Ctrl-C in the terminal reaches the player too: like a shell (or system(3)), nebula
 * lets the player decide and waits for it.
 */
export function runPlayer(player: string, url: string): Promise<number> {
  const wait = () => undefined;
  process.on('SIGINT', wait);
  return new Promise<number>((resolve, reject) => {
    const child = spawn(player, [url], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  }).finally(() => process.off('SIGINT', wait));
}

/**
 * Whether a player's exit code means something went wrong. mpv exits 4 when it was quit by a
 * signal or Ctrl+C in its window (mpv(1), EXIT CODES): the user closing it, not a failure.
 */
export function playerFailed(player: string, code: number): boolean {
  if (code === 0) return false;
  return !(basename(player) === 'mpv' && code === 4);
}
