import { baseName, InvalidPathError, normalizeTypedPath, parentOf } from '@nebula/contract';
import { CliError, EXIT } from './errors';

/**
 * Paths on the server as the user types them ("videos/a.mp4", "videos/"): made normal by the
 * contract's rules (@nebula/contract's paths.ts); a ".." is a usage error here.
 */
export function normaliseRemotePath(input: string): string {
  try {
    return normalizeTypedPath(input);
  } catch (error) {
    if (error instanceof InvalidPathError) throw new CliError(`a Nebula path cannot contain "..": ${input}`, EXIT.usage, 'usage');
    throw error;
  }
}

export function joinRemote(folder: string, ...names: string[]): string {
  return normaliseRemotePath([folder, ...names].join('/'));
}

export function remoteDirname(path: string): string {
  return parentOf(normaliseRemotePath(path));
}

export function remoteBasename(path: string): string {
  return baseName(normaliseRemotePath(path));
}
