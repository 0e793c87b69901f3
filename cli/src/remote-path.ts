import { CliError, EXIT } from './errors';

/**
 * Paths on the server: absolute, slash-separated, no trailing slash, "/" is the root (see
 * @nebula/shared's api.ts). Users may type them relative ("videos/a.mp4") or with a trailing slash.
 */
export function normaliseRemotePath(input: string): string {
  const segments: string[] = [];
  for (const segment of input.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') throw new CliError(`a Nebula path cannot contain "..": ${input}`, EXIT.usage, 'usage');
    segments.push(segment);
  }
  return `/${segments.join('/')}`;
}

export function joinRemote(folder: string, ...names: string[]): string {
  return normaliseRemotePath([folder, ...names].join('/'));
}

export function remoteDirname(path: string): string {
  const normal = normaliseRemotePath(path);
  const cut = normal.lastIndexOf('/');
  return cut <= 0 ? '/' : normal.slice(0, cut);
}

export function remoteBasename(path: string): string {
  const normal = normaliseRemotePath(path);
  return normal.slice(normal.lastIndexOf('/') + 1);
}
