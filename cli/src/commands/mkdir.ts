import type { CommandContext } from '../context';
import { ApiError } from '../errors';
import { normaliseRemotePath } from '../remote-path';

/** nebula mkdir <path> [-p]: with -p, missing parents are created and an existing folder is fine. */
export async function mkdir(path: string, options: { parents?: boolean }, context: CommandContext): Promise<void> {
  const target = normaliseRemotePath(path);
  const client = await context.client();
  try {
    const entry = await client.createFolder(target, Boolean(options.parents));
    context.output.line(`created ${entry.path}`, { event: 'created', id: entry.id, path: entry.path });
  } catch (error) {
    if (!(options.parents && error instanceof ApiError && error.code === 'already_exists')) throw error;
    const entry = await client.lookup(target);
    if (entry.kind !== 'folder') throw error;
    context.output.line(`${entry.path} already exists`, { event: 'exists', id: entry.id, path: entry.path });
  }
}
