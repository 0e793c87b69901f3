import { join, posix } from 'node:path';
import type { PosterSource } from './ffmpeg/poster';
import type { Ladder, LadderAudio, Rung } from './ladder';

/**
 * Where one ffmpeg run writes a ladder, relative to its output folder:
 *
 *   master.m3u8
 *   1080p/index.m3u8   1080p/init_1080p.mp4   1080p/seg_00000.m4s  1080p/seg_00001.m4s ...
 *   720p/index.m3u8    720p/init_720p.mp4     720p/seg_00000.m4s ...
 *
 * One folder per rung, named after it (the `name:` of -var_stream_map, which ffmpeg puts for %v).
 */
export const hlsLayout = {
  master: 'master.m3u8',
  variantPlaylist: (rung: string) => `${rung}/index.m3u8`,
  initSegment: (rung: string) => `${rung}/init_${rung}.mp4`,
  /** ffmpeg counts segments from 0. */
  segment: (rung: string, index: number) => `${rung}/seg_${String(index).padStart(5, '0')}.m4s`,
} as const;

/**
 * A variant playlist as it must stay once the encode is done: the same EVENT playlist players have
 * been polling, ended with #EXT-X-ENDLIST (players then treat it as VOD). It is not retyped to VOD:
 * RFC 8216 §6.2.1 lets a server only append to a playlist it has published (segments, ENDLIST).
 */
export function finalizeVariantPlaylist(text: string): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (!lines.includes('#EXT-X-ENDLIST')) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

/**
 * The EXT-X-TARGETDURATION every version of a rung's playlist carries. RFC 8216 §6.2.1 forbids a
 * playlist from changing it, but ffmpeg's EVENT playlists raise it as longer segments appear (1, then
 * 4, after the short first segment), and Apple's players are strict about it. A segment is cut at the
 * first frame at or after its boundary, so it lasts at most the segment length plus one frame, and
 * its EXTINF rounded to the nearest second (§4.3.3.1) never exceeds this.
 */
export function targetDurationSeconds(ladder: Ladder): number {
  const frame = 1 / (ladder.rungs[0]?.frameRate || 1);
  return Math.max(1, Math.round(ladder.segmentSeconds + frame));
}

/** A variant playlist with its EXT-X-TARGETDURATION set to `seconds` (added after EXT-X-VERSION when missing). */
export function withTargetDuration(playlist: string, seconds: number): string {
  const tag = `#EXT-X-TARGETDURATION:${seconds}`;
  if (/^#EXT-X-TARGETDURATION:.*$/m.test(playlist)) return playlist.replace(/^#EXT-X-TARGETDURATION:.*$/m, tag);
  return playlist.replace(/^(#EXT-X-VERSION:.*)$/m, `$1\n${tag}`);
}

/**
 * The segment of an fMP4 variant playlist that holds `seconds` (the last one when it is past the
 * end), its init segment (EXT-X-MAP), and how far into the segment `seconds` is. URIs are the
 * playlist's own, relative to its folder. Null when the playlist lists no segment or no init.
 */
export function segmentAt(playlist: string, seconds: number): { init: string; segment: string; offsetSeconds: number } | null {
  let init: string | null = null;
  let start = 0;
  let duration: number | null = null;
  let last: { init: string; segment: string; offsetSeconds: number } | null = null;
  for (const raw of playlist.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-MAP:')) init = /URI="([^"]+)"/.exec(line)?.[1] ?? null;
    else if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice('#EXTINF:'.length));
    else if (line && !line.startsWith('#') && duration !== null && Number.isFinite(duration)) {
      if (!init) return null;
      if (seconds < start + duration) return { init, segment: line, offsetSeconds: Math.round(Math.max(0, seconds - start) * 1000) / 1000 };
      last = { init, segment: line, offsetSeconds: 0 };
      start += duration;
      duration = null;
    }
  }
  return last;
}

/** Where in a ladder's output folder the frame `seconds` in is, for `rung`: its segment and init segment as paths. */
export function segmentFileAt(outputDir: string, rung: string, playlist: string, seconds: number): PosterSource | null {
  const at = segmentAt(playlist, seconds);
  const dir = posix.dirname(hlsLayout.variantPlaylist(rung));
  return at && { init: join(outputDir, dir, at.init), segment: join(outputDir, dir, at.segment), offsetSeconds: at.offsetSeconds };
}

/** Container overhead on top of the encoders' rates, as ffmpeg's own BANDWIDTH counts it. */
const OVERHEAD = 1.1;
/** What copied audio is assumed to cost when ffprobe did not say. */
const ASSUMED_AUDIO_BITRATE = 128_000;

/**
 * ffmpeg 5.1 writes a master playlist with BANDWIDTH (the average, not the peak), RESOLUTION and
 * CODECS only. This completes each variant with what players use to choose one: BANDWIDTH as the
 * peak (maxrate), AVERAGE-BANDWIDTH, FRAME-RATE, and EXT-X-INDEPENDENT-SEGMENTS for the whole
 * master. CODECS stays ffmpeg's: it is read from the encoded stream (the profile and level x264 or
 * the GPU actually chose); a copied rung, for which ffmpeg writes none, gets the source's.
 */
export function completeMasterPlaylist(ffmpegMaster: string, ladder: Ladder): string {
  const lines = ffmpegMaster.replace(/\r\n/g, '\n').split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const uri = lines[i + 1]?.trim();
    const rung = uri ? ladder.rungs.find((r) => uri === hlsLayout.variantPlaylist(r.name)) : undefined;
    if (line.startsWith('#EXT-X-STREAM-INF:') && rung) {
      out.push(`#EXT-X-STREAM-INF:${variantAttributes(line.slice('#EXT-X-STREAM-INF:'.length), rung, ladder.audio, audioCodecs(lines))}`);
    } else {
      out.push(line);
    }
    if (line.startsWith('#EXT-X-VERSION:') && !lines.includes('#EXT-X-INDEPENDENT-SEGMENTS')) out.push('#EXT-X-INDEPENDENT-SEGMENTS');
  }
  return out.join('\n');
}

/** The audio part of the CODECS ffmpeg wrote for the encoded rungs (every rung carries the same audio). */
function audioCodecs(lines: string[]): string {
  for (const line of lines) {
    const codecs = /CODECS="([^"]*)"/.exec(line)?.[1];
    const audio = codecs?.split(',').filter((c) => !c.startsWith('avc1.'));
    if (audio?.length) return audio.join(',');
  }
  return 'mp4a.40.2';
}

function variantAttributes(ffmpegAttributes: string, rung: Rung, audio: LadderAudio, audioCodecsOfLadder: string): string {
  const given = new Map<string, string>();
  // Values may be quoted and hold commas: CODECS="avc1.640028,mp4a.40.2".
  for (const match of ffmpegAttributes.matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) given.set(match[1]!, match[2]!);

  const audioBitrate = audio.mode === 'none' ? 0 : (audio.bitrate ?? ASSUMED_AUDIO_BITRATE);
  const ordered = new Map<string, string>([
    ['BANDWIDTH', String(Math.round((rung.maxrate + audioBitrate) * OVERHEAD))],
    ['AVERAGE-BANDWIDTH', String(Math.round((rung.videoBitrate + audioBitrate) * OVERHEAD))],
    ['RESOLUTION', given.get('RESOLUTION') ?? `${rung.width}x${rung.height}`],
    ['FRAME-RATE', rung.frameRate.toFixed(3)],
  ]);
  const codecs = given.get('CODECS') ?? (rung.videoCodecs && `"${[rung.videoCodecs, ...(audio.mode === 'none' ? [] : [audioCodecsOfLadder])].join(',')}"`);
  if (codecs) ordered.set('CODECS', codecs);
  for (const [key, value] of given) if (!ordered.has(key)) ordered.set(key, value);
  return [...ordered].map(([key, value]) => `${key}=${value}`).join(',');
}
