/**
 * The top rung as a stream copy: when the source's video is already what the top rung would be
 * (H.264 8-bit 4:2:0 SDR, progressive, upright, the rung's size and frame rate, a level players
 * take), its packets go into the HLS rung as they are, and only the lower rungs are encoded.
 * Pure: the caller runs ffprobe with `keyframeScanArgs` and hands its stdout to `readKeyframeScan`.
 *
 * Alignment: ffmpeg 5.1's HLS muxer (unbounded EVENT list, hls_init_time 1) cuts the n-th segment
 * at the first keyframe at or after n × 1 s, any keyframe. A copied rung's keyframes are the
 * source's, so its cuts are known in advance (`hlsCuts`), and the encoded rungs are given keyframes
 * exactly there (-force_key_frames with the list, -g above the longest segment): the same rule on
 * those keyframes cuts them at the same times, so every rung's segments line up.
 */
import { FIRST_SEGMENT_SECONDS } from './ffmpeg/hls-output';
import type { Ladder } from './ladder';
import type { MediaProbe } from './probe';

/**
 * The longest segment a copied rung may have. The cuts follow the source's keyframes; a phone or
 * camera puts one every 0.5–2 s, and 6 s is Apple's recommended segment length. A longer gap (x264's
 * default of 250 frames, 8–10 s) would make segments that slow starting and seeking: encoded instead.
 */
export const MAX_COPY_SEGMENT_SECONDS = 6;

/**
 * Linux caps one argument at 128 KiB (MAX_ARG_STRLEN), and -force_key_frames carries every cut:
 * a source with more cuts than fit (about 12 hours of 1 s keyframes) is encoded.
 */
const MAX_FORCE_KEY_FRAMES_CHARS = 100_000;

/** H.264 profiles whose pictures are 8-bit 4:2:0, with the profile_idc and constraint byte of RFC 6381's avc1.PPCCLL. */
const AVC_PROFILES: Record<string, string> = {
  'Constrained Baseline': '42C0',
  Baseline: '4200',
  Main: '4D40',
  High: '6400',
};

/** H.264 Annex A, table A-1: the largest frame (macroblocks) and rate (macroblocks per second) per level. */
const AVC_LEVEL_LIMITS: Record<number, { frame: number; perSecond: number }> = {
  10: { frame: 99, perSecond: 1485 },
  11: { frame: 396, perSecond: 3000 },
  12: { frame: 396, perSecond: 6000 },
  13: { frame: 396, perSecond: 11880 },
  20: { frame: 396, perSecond: 11880 },
  21: { frame: 792, perSecond: 19800 },
  22: { frame: 1620, perSecond: 20250 },
  30: { frame: 1620, perSecond: 40500 },
  31: { frame: 3600, perSecond: 108000 },
  32: { frame: 5120, perSecond: 216000 },
  40: { frame: 8192, perSecond: 245760 },
  41: { frame: 8192, perSecond: 245760 },
  42: { frame: 8704, perSecond: 522240 },
  50: { frame: 22080, perSecond: 589824 },
  51: { frame: 36864, perSecond: 983040 },
  // 5.2 is the highest level phones, TVs and browsers decode (4K at 60 fps); 6.x is left to encoding.
  52: { frame: 36864, perSecond: 2073600 },
};

/** What a copied top rung needs: where every rung is cut, its keyframe interval, and its own rates. */
export interface TopRungCopy {
  /** Seconds from the start at which every rung's segments begin, after the first (at 0). */
  cutSeconds: number[];
  /** Each segment's length, in order (the last runs to the end). */
  segmentSeconds: number[];
  /** The encoded rungs' -g: above the longest segment, so no keyframe falls between two cuts. */
  gopFrames: number;
  /** EXT-X-TARGETDURATION for every rung: the longest segment, rounded up. */
  targetDurationSeconds: number;
  /** The copied video's peak and average bit rates (RFC 8216 §4.3.4.2), bits per second. */
  peakBitrate: number;
  averageBitrate: number;
  /** RFC 6381 codec string of the source's video: avc1.PPCCLL. */
  codecs: string;
}

/** One video packet as ffprobe lists it. */
export interface VideoPacket {
  pts: number;
  duration: number;
  size: number;
  key: boolean;
}

/**
 * How long the keyframe scan may take: it reads every packet, so the whole file, and a slow disk
 * reads 50 MB a second. A minute at least; an hour of 4K from a phone (about 22 GB) gets over 7 minutes,
 * where a fixed minute sent every such video to a full encode of several hours.
 */
export function keyframeScanTimeoutMs(sizeBytes: number): number {
  return Math.max(60_000, Math.ceil(sizeBytes / 50_000_000) * 1000);
}

/** ffprobe lists the first video stream's packets: time, length, size and flags, one per line. */
export function keyframeScanArgs(input: string): string[] {
  return ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,duration_time,size,flags', '-of', 'compact=p=0', input];
}

/** ffprobe's `compact` packet lines (`pts_time=1.5|duration_time=0.033|size=123|flags=K_`) → packets in decode order. */
export function readKeyframeScan(stdout: string): VideoPacket[] {
  const packets: VideoPacket[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    const fields = new Map(line.split('|').map((pair) => pair.split('=') as [string, string]));
    const pts = Number(fields.get('pts_time'));
    // A packet with no timestamp (N/A) cannot be placed; it is counted in no segment.
    if (!Number.isFinite(pts)) continue;
    const duration = Number(fields.get('duration_time'));
    packets.push({ pts, duration: Number.isFinite(duration) ? duration : 0, size: Number(fields.get('size')) || 0, key: (fields.get('flags') ?? '').startsWith('K') });
  }
  return packets;
}

/**
 * Why the source's video cannot be the top rung as it is, from the probe alone (null: it may, once
 * its keyframes are known). Checked first, so an HEVC or rotated file is never scanned.
 */
export function copyRefusal(probe: MediaProbe, ladder: Ladder): string | null {
  const video = probe.video;
  const top = ladder.rungs[0];
  if (!video || !top) return 'no video';
  if (video.codec !== 'h264') return `the video is ${video.codec}, not H.264`;
  if (!video.profile || !(video.profile in AVC_PROFILES)) return `H.264 profile ${video.profile ?? 'unknown'} is not an 8-bit 4:2:0 one (Baseline, Main, High)`;
  if (video.pixFmt !== 'yuv420p' || video.bitDepth !== 8) return `the pixels are ${video.pixFmt}, not 8-bit yuv420p`;
  if (video.hdr) return `the video is HDR (${video.hdr}): the rungs are tone-mapped to SDR`;
  if (video.fieldOrder && video.fieldOrder !== 'progressive') return `the video is interlaced (${video.fieldOrder})`;
  if (video.rotation !== 0) return `the video is stored turned by ${video.rotation}°: the rungs are upright`;
  if (video.width !== top.width || video.height !== top.height) return `the top rung is ${top.width}x${top.height}, the source ${video.width}x${video.height}`;
  if (video.displayWidth !== video.width || video.displayHeight !== video.height) return 'the pixels are not square';
  if (video.frameRate !== top.frameRate) return `the top rung runs at ${top.frameRate} fps, the source at ${video.frameRate}`;
  const limits = video.level === undefined ? undefined : AVC_LEVEL_LIMITS[video.level];
  if (!limits) return `H.264 level ${video.level ?? 'unknown'} is not one players are sure to take (at most 5.2)`;
  const macroblocks = Math.ceil(video.width / 16) * Math.ceil(video.height / 16);
  if (macroblocks > limits.frame || macroblocks * video.frameRate > limits.perSecond) {
    return `the stream declares level ${video.level! / 10} but its size and rate need more`;
  }
  if (probe.audio?.startSeconds !== undefined && video.startSeconds !== undefined && probe.audio.startSeconds < video.startSeconds - 0.001) {
    return 'the audio starts before the video';
  }
  return null;
}

/** Where ffmpeg 5.1's HLS muxer cuts a stream with keyframes at `keyframes` (seconds from its start): see the file's comment. */
export function hlsCuts(keyframes: readonly number[], firstSegmentSeconds = FIRST_SEGMENT_SECONDS): number[] {
  const cuts: number[] = [];
  for (const t of keyframes) {
    // The muxer compares timestamps exactly; a microsecond absorbs the decimals ffprobe prints.
    if (t > 0 && t >= (cuts.length + 1) * firstSegmentSeconds - 1e-6) cuts.push(t);
  }
  return cuts;
}

/** The copy's plan from the source's packets, or why it cannot be copied. */
export function planTopRungCopy(probe: MediaProbe, ladder: Ladder, packets: readonly VideoPacket[]): TopRungCopy | { refused: string } {
  const refusal = copyRefusal(probe, ladder);
  if (refusal) return { refused: refusal };
  if (packets.length === 0) return { refused: 'ffprobe listed no video packets' };
  // One pass, not Math.min(...all): spreading an hour of packets (100k+) overflows the call stack.
  let first = packets[0]!;
  let last = -Infinity;
  for (const p of packets) {
    if (p.pts < first.pts) first = p;
    last = Math.max(last, p.pts + p.duration);
  }
  const start = first.pts;
  const end = last - start;
  if (!first.key) return { refused: 'the video does not start with a keyframe' };
  const keyframes = packets
    .filter((p) => p.key)
    .map((p) => round(p.pts - start))
    .sort((a, b) => a - b);
  const cutSeconds = hlsCuts(keyframes);
  const bounds = [0, ...cutSeconds, end];
  const segmentSeconds = bounds.slice(1).map((b, i) => round(b - bounds[i]!));
  const longest = segmentSeconds.reduce((a, b) => Math.max(a, b), 0);
  if (longest > MAX_COPY_SEGMENT_SECONDS + 1e-3) {
    return { refused: `keyframes too far apart: a ${longest.toFixed(1)} s segment (at most ${MAX_COPY_SEGMENT_SECONDS} s)` };
  }
  const forced = forceKeyFramesList(cutSeconds);
  if (forced.length > MAX_FORCE_KEY_FRAMES_CHARS) return { refused: `${cutSeconds.length} segments are more than one ffmpeg argument can list` };

  const bytes = segmentSeconds.map(() => 0);
  let segment = 0;
  for (const packet of [...packets].sort((a, b) => a.pts - b.pts)) {
    const t = packet.pts - start;
    while (segment < cutSeconds.length && t >= cutSeconds[segment]! - 1e-6) segment++;
    bytes[segment]! += packet.size;
  }
  const targetDurationSeconds = Math.max(1, Math.ceil(longest - 1e-3));
  const total = bytes.reduce((a, b) => a + b, 0);
  const video = probe.video!;
  return {
    cutSeconds,
    segmentSeconds,
    gopFrames: Math.ceil(longest * video.frameRate) + 1,
    targetDurationSeconds,
    peakBitrate: Math.round(peakBitrate(bytes, segmentSeconds, targetDurationSeconds) ?? (total * 8) / end),
    averageBitrate: Math.round((total * 8) / end),
    codecs: `avc1.${AVC_PROFILES[video.profile!]}${video.level!.toString(16).toUpperCase().padStart(2, '0')}`.toLowerCase(),
  };
}

/** The cut times as -force_key_frames takes them: milliseconds are finer than any frame, so the nearest frame is the keyframe. */
export function forceKeyFramesList(cutSeconds: readonly number[]): string {
  return cutSeconds.map((t) => String(Math.round(t * 1000) / 1000)).join(',');
}

/**
 * RFC 8216 §4.3.4.2: the peak segment bit rate is the largest of any run of contiguous segments
 * lasting between 0.5 and 1.5 times the target duration. Undefined when no run qualifies.
 */
function peakBitrate(bytes: readonly number[], seconds: readonly number[], target: number): number | undefined {
  let peak: number | undefined;
  for (let i = 0; i < bytes.length; i++) {
    let size = 0;
    let length = 0;
    for (let j = i; j < bytes.length; j++) {
      size += bytes[j]!;
      length += seconds[j]!;
      if (length > 1.5 * target + 1e-6) break;
      if (length >= 0.5 * target - 1e-6) peak = Math.max(peak ?? 0, (size * 8) / length);
    }
  }
  return peak;
}

/**
 * The ladder as the master playlist describes it once the top rung is copied: that rung's rates
 * are the source's measured ones (BANDWIDTH is its peak), and its CODECS the source's own.
 */
export function withCopiedTopRung(ladder: Ladder, copy: TopRungCopy): Ladder {
  const [top, ...rest] = ladder.rungs;
  if (!top) return ladder;
  return { ...ladder, rungs: [{ ...top, videoBitrate: copy.averageBitrate, maxrate: copy.peakBitrate, videoCodecs: copy.codecs }, ...rest] };
}

function round(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}
