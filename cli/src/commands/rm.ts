import type { CommandContext } from '../context';
import { ApiError, CliError, EXIT } from '../errors';
import { normaliseRemotePath } from '../remote-path';

/** nebula rm <path> [-r]: a file with its bytes and renditions; a folder only when empty, or with -r. */
export async function rm(path: string, options: { recursive?: boolean }, context: CommandContext): Promise<void> {
  const target = normaliseRemotePath(path);
  if (target === '/') throw new CliError('refusing to delete the root folder', EXIT.usage, 'usage');
  const client = await context.client();
  const entry = await client.lookup(target);
  try {
    await client.remove(entry.id, Boolean(options.recursive));
  } catch (error) {
    if (error instanceof ApiError && error.code === 'folder_not_empty') {
      throw new ApiError(error.status, error.code, `${entry.path} is a folder that is not empty (nebula rm -r deletes it with everything in it)`);
    }
    throw error;
  }
  context.output.line(`removed ${entry.path}`, { event: 'removed', id: entry.id, path: entry.path, kind: entry.kind });
}
