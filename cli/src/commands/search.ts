import { SEARCH_LIMIT, type EntryDto } from '@nebula/contract';
import type { CommandContext } from '../context';
import { CliError, EXIT } from '../errors';

/**
 * nebula search <words>: entries in every folder whose name holds the words (case and accents
 * ignored, best matches first), with their paths; one JSON entry per line for scripts. Pages
 * through the gateway's results up to `limit`.
 */
export async function search(words: string[], options: { limit: number }, context: CommandContext): Promise<void> {
  const q = words.join(' ').trim();
  if (q === '') throw new CliError('say what to search for, e.g. nebula search beach', EXIT.usage, 'usage');
  const client = await context.client();
  const found: EntryDto[] = [];
  let total = 0;
  for (let offset: number | null = 0; offset !== null && found.length < options.limit; ) {
    const page = await client.search(q, { limit: Math.min(SEARCH_LIMIT.max, options.limit - found.length), offset });
    found.push(...page.entries);
    total = page.total;
    offset = page.nextOffset;
  }
  if (context.output.json) {
    for (const entry of found) context.output.event(entry);
    return;
  }
  const { printSearchResults } = await import('../ui/entries-table');
  printSearchResults(q, found, total, context.output);
}
