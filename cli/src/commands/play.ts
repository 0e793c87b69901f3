import { basename } from 'node:path';
import { API_ROUTES } from '@nebula/contract';
import type { CommandContext } from '../context';
import { CliError, EXIT } from '../errors';
import { findOnPath, mpvFfmpegMajor, PLAYERS, playerFailed, playerLaunch, runPlayer } from '../player';
import { normaliseRemotePath } from '../remote-path';

/**
 * nebula play <path> [--open] [--start t]: the addresses to watch a file at: the HLS master playlist
 * (adaptive, once the ladder is playable) and the original (byte ranges). --open starts mpv or vlc
 * on the one it can seek in, `--start` seconds in.
 */
export async function play(path: string, options: { open?: boolean; start?: number | null }, context: CommandContext): Promise<number> {
  if (options.start && !options.open) throw new CliError('--start goes with --open (it tells the player where to begin)', EXIT.usage, 'usage');
  const client = await context.client();
  const entry = await client.lookup(normaliseRemotePath(path));
  if (entry.kind !== 'file') throw new CliError(`${entry.path} is a folder; nebula play takes a file`, EXIT.usage, 'not_a_file');
  if (entry.status !== 'ready') throw new CliError(`${entry.path} is still being uploaded; try again when it is done`, EXIT.failed, 'not_ready');
  const media = await client.media(entry.id);
  const hls = media.hls ? `${client.server}${media.hls}` : null;
  const original = `${client.server}${API_ROUTES.content(entry.id)}`;
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
  const launch = playerLaunch(player, { hls, original }, options.start ?? null, basename(player) === 'mpv' ? await mpvFfmpegMajor(player) : null);
  const what = launch.source === 'hls' ? 'the HLS stream' : 'the original';
  context.output.line(`opening ${what} in ${basename(player)}${launch.reason ? ` (${launch.reason})` : ''}`, {
    event: 'open',
    player,
    url: launch.url,
    source: launch.source,
    ...(options.start ? { startSeconds: options.start } : {}),
    ...(launch.reason ? { reason: launch.reason } : {}),
  });
  const code = await runPlayer(player, launch.args);
  if (playerFailed(player, code)) throw new CliError(`${basename(player)} exited with code ${code}`, EXIT.failed, 'player_failed');
  return EXIT.ok;
}
