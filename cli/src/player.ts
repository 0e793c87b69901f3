import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

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

/** Runs the player in the foreground with the terminal, like typing `mpv <url>`; resolves with its exit code. */
export function runPlayer(player: string, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(player, [url], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
