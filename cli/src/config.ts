import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, EXIT } from './errors';

/** What `nebula login` stores. */
export interface CliConfig {
  server: string;
}

type Env = Record<string, string | undefined>;

/** $XDG_CONFIG_HOME/nebula/config.json (default ~/.config/nebula/config.json). */
export function configFile(env: Env = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'nebula', 'config.json');
}

/** Where resumable uploads are remembered: $XDG_STATE_HOME/nebula/uploads.json (default ~/.local/state). */
export function uploadStateFile(env: Env = process.env): string {
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'nebula', 'uploads.json');
}

/**
 * A server URL as the user typed it, checked and without a trailing slash.
 * "127.0.0.1:8080" is taken as http://127.0.0.1:8080, the common case on a tailnet.
 */
export function normaliseServerUrl(input: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `http://${input}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CliError(`not a server URL: "${input}" (e.g. http://127.0.0.1:8080 or https://nebula.tailnet.ts.net)`, EXIT.usage, 'usage');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`the server URL must be http:// or https://, got "${input}"`, EXIT.usage, 'usage');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export async function readConfig(env: Env = process.env): Promise<CliConfig | null> {
  const file = configFile(env);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<CliConfig>;
    return typeof value.server === 'string' ? { server: value.server } : null;
  } catch {
    throw new CliError(`${file} is not valid JSON; fix it or run nebula login <url> again`);
  }
}

export async function writeConfig(config: CliConfig, env: Env = process.env): Promise<string> {
  const file = configFile(env);
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, file);
  return file;
}

/** The server to talk to: --server, then NEBULA_SERVER, then what `nebula login` stored. */
export async function resolveServer(flag: string | undefined, env: Env = process.env): Promise<string> {
  if (flag) return normaliseServerUrl(flag);
  if (env.NEBULA_SERVER) return normaliseServerUrl(env.NEBULA_SERVER);
  const config = await readConfig(env);
  if (config) return normaliseServerUrl(config.server);
  throw new CliError('no Nebula server configured: run nebula login <url> (or set NEBULA_SERVER)', EXIT.usage, 'no_server');
}
