import { basename } from 'node:path';
import type { CommandContext } from '../context';
import { CliError, EXIT } from '../errors';
import { findOnPath, PLAYERS, playerFailed, runPlayer } from '../player';
import { normaliseRemotePath } from '../remote-path';

/**
 * nebula play <path> [--open]: the addresses to watch a file at: the HLS master playlist (adaptive,
 * once the ladder is playable) and the original (byte ranges). --open starts mpv or vlc on it.
 */
export async function play(path: string, options: { open?: boolean }, context: CommandContext): Promise<number> {
  const client = await context.client();
  const entry = await client.lookup(normaliseRemotePath(path));
  if (entry.kind !== 'file') throw new CliError(`${entry.path} is a folder; nebula play takes a file`, EXIT.usage, 'not_a_file');
  if (entry.status !== 'ready') throw new CliError(`${entry.path} is still being uploaded; try again when it is done`, EXIT.failed, 'not_ready');
  const media = await client.media(entry.id);
  const hls = media.hls ? `${client.server}${media.hls}` : null;
  const original = `${client.server}/api/files/${encodeURIComponent(entry.id)}/content`;
  const waiting =
    media.status === 'failed'
      ? `no HLS: its media job failed (${media.error ?? 'no reason given'}); the original plays as it is`
      : media.status === 'queued' || media.status === 'processing'
        ? `no HLS yet: the media job is ${media.status} (nebula status ${entry.path} --watch)`
        : 'no HLS: not a video';

  context.output.event({ event: 'play', id: entry.id, path: entry.path, status: media.status, hls, original });
  if (!context.output.json) {
    process.stdout.write(hls ? `hls:      ${hls}\n` : `hls:      – (${waiting})\n`);
    process.stdout.write(`original: ${original}\n`);
  }
  if (!options.open) return EXIT.ok;

  const player = await findOnPath(PLAYERS);
  if (!player) throw new CliError(`neither mpv nor vlc is installed (not found on PATH); open one of the URLs above in any player, or install one (e.g. apt-get install mpv)`, EXIT.failed, 'no_player');
  const url = hls ?? original;
  context.output.line(`opening ${hls ? 'the HLS stream' : 'the original'} in ${basename(player)}`, { event: 'open', player, url });
  const code = await runPlayer(player, url);
  if (playerFailed(player, code)) throw new CliError(`${basename(player)} exited with code ${code}`, EXIT.failed, 'player_failed');
  return EXIT.ok;
}
