import type { MoveRequest } from '@nebula/contract';
import type { CommandContext } from '../context';
import { shellQuote } from '../deploy/server-script';
import { CliError, EXIT } from '../errors';
import { normaliseRemotePath, remoteBasename, remoteDirname } from '../remote-path';

/**
 * nebula mv <from> <to>: like mv(1), into <to> when it is an existing folder, else to the path
 * <to> (a rename, a move, or both). A <to> that ends in "/" names a folder: like mv(1) again, it
 * must exist (before, `mv clip.mp4 /Films/` with no /Films renamed clip.mp4 to a file "/Films").
 */
export async function mv(from: string, to: string, context: CommandContext): Promise<void> {
  const source = normaliseRemotePath(from);
  const target = normaliseRemotePath(to);
  if (source === '/') throw new CliError('the root folder cannot be moved', EXIT.usage, 'usage');
  const client = await context.client();
  const entry = await client.lookup(source);
  const existing = await client.find(target);
  let change: MoveRequest;
  if (existing?.kind === 'folder') {
    change = { folder: existing.path };
  } else if (to.endsWith('/')) {
    if (existing) throw new CliError(`${target} is a file, not a folder to move ${entry.path} into`, EXIT.usage, 'usage');
    throw new CliError(`no folder ${target} to move ${entry.path} into (nebula mkdir ${shellQuote(target)} makes it; without the trailing "/", ${entry.path} is renamed to ${target})`, EXIT.notFound, 'not_found');
  } else {
    const name = remoteBasename(target);
    const folder = remoteDirname(target);
    change = {};
    if (name !== entry.name) change.name = name;
    if (folder !== remoteDirname(entry.path)) change.folder = folder;
  }
  if (Object.keys(change).length === 0 || (change.folder === remoteDirname(entry.path) && change.name === undefined)) {
    context.output.line(`${entry.path} is already there`, { event: 'moved', id: entry.id, from: entry.path, path: entry.path });
    return;
  }
  const moved = await client.move(entry.id, change);
  context.output.line(`${entry.path} → ${moved.path}`, { event: 'moved', id: moved.id, from: entry.path, path: moved.path });
}
