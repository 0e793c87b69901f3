import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandContext } from '../context';
import { download, type DownloadEvent } from '../download';
import { JsonReporter } from '../json-reporter';
import { normaliseRemotePath } from '../remote-path';

/** nebula get <path> [-o file]: downloads one file, resumable, checked against its sha256. */
export async function get(path: string, options: { output?: string }, context: CommandContext): Promise<void> {
  const client = await context.client();
  const entry = await client.lookup(normaliseRemotePath(path));
  let out = options.output ?? entry.name;
  if (await stat(out).then((info) => info.isDirectory(), () => false)) out = join(out, entry.name);

  if (context.output.json) {
    const reporter = new JsonReporter<DownloadEvent>();
    await download(client, entry, out, (event) => reporter.emit(event));
    return;
  }
  const { DownloadScreen } = await import('../ui/download-screen');
  const screen = new DownloadScreen(out, entry.size ?? 0, context.output.color);
  try {
    await download(client, entry, out, (event) => screen.emit(event));
  } finally {
    await screen.finish();
  }
}
