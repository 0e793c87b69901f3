import type { MediaProbe, VideoProbe } from './probe';

/** One rendition of the HLS ladder: H.264 at one size. Bitrates in bits per second. */
export interface Rung {
  /** The short side, as people say it: '1080p' is 1920x1080 landscape and 1080x1920 portrait. */
  name: string;
  width: number;
  height: number;
  videoBitrate: number;
  maxrate: number;
  bufsize: number;
  frameRate: number;
  /** Frames between keyframes: one keyframe at the start of every segment. */
  gopFrames: number;
  /** The RFC 6381 string of a rung copied from the source (ffmpeg 5.1 writes no CODECS for a copied stream). */
  videoCodecs?: string;
}

export type LadderAudio =
  | { mode: 'none' }
  /** Already AAC with at most two channels: every rung carries the original track as it is. */
  | { mode: 'copy'; channels: number; bitrate?: number }
  | { mode: 'aac'; bitrate: number; channels: 2 };

export interface Ladder {
  /** Largest first. */
  rungs: Rung[];
  audio: LadderAudio;
  segmentSeconds: number;
  /** HDR (PQ or HLG) in, so every rung is tone-mapped to 8-bit SDR BT.709. */
  hdrToSdr: boolean;
}

export interface LadderOptions {
  segmentSeconds?: number;
}

/** Rungs by their short side, largest first. */
export const RUNG_SIZES = [2160, 1440, 1080, 720, 480, 360] as const;

/**
 * 4 s segments: keyframes every 4 s cost little next to Apple's 6 s default, and a player can start
 * after one short segment per rung (the first-playable target is 8 s on 2 cores). 2 s segments would
 * double the keyframes, and with them the bitrate needed for the same quality, and the file count.
 */
export const DEFAULT_SEGMENT_SECONDS = 4;

/**
 * A source a little short of a rung (1918x1078 from a cropped export) still gets that rung, at its
 * own size: dropping a 1078-line video to 720p would throw away most of its detail.
 */
const NEAR_RUNG = 0.95;

/** H.264 at 1920x1080, 30 fps: 5 Mbps looks good for most footage with x264 veryfast. */
const BASE_BITRATE = 5_000_000;
const BASE_PIXELS = 1920 * 1080;
const BASE_FPS = 30;
/**
 * Bits grow slower than pixels and frames: detail per pixel falls as size rises, and motion between
 * frames shrinks as the rate rises. 4K gets 2.8× the 1080p rate, not 4×; 60 fps gets 1.5×, not 2×.
 */
const PIXEL_EXPONENT = 0.75;
const FPS_EXPONENT = 0.6;
/** Re-encoding cannot add detail: no rung gets more than 1.1× what the source spent on the same picture. */
const SOURCE_BITRATE_CAP = 1.1;
/** Constrained VBR: a peak a little over the average, and a buffer of 1.5× the average rate. */
const MAXRATE_FACTOR = 1.07;
const BUFSIZE_FACTOR = 1.5;
/** Phones and browsers gain nothing above 60 fps; 120 and 240 fps clips are halved or quartered. */
const MAX_FRAME_RATE = 60;
/** When ffprobe could not read a frame rate. */
const ASSUMED_FRAME_RATE = 30;

export const AAC_BITRATE = 128_000;

/**
 * The HLS ladder for a video, as a pure function of what ffprobe found. Never upscales; keeps
 * portrait and rotated video upright (the rung is the short side of the picture as shown).
 */
export function planLadder(probe: MediaProbe, options: LadderOptions = {}): Ladder {
  const video = probe.video;
  if (!video) throw new Error('planLadder needs a video stream: an audio-only file gets no ladder (check probe.video first)');
  const segmentSeconds = options.segmentSeconds ?? DEFAULT_SEGMENT_SECONDS;
  const frameRate = rungFrameRate(video.frameRate > 0 ? video.frameRate : ASSUMED_FRAME_RATE);
  const sourceBitrate = sourceVideoBitrate(probe);

  return {
    rungs: rungSizes(video).map(({ name, width, height }) => {
      const videoBitrate = rungBitrate(width * height, frameRate, video, sourceBitrate);
      return {
        name,
        width,
        height,
        videoBitrate,
        maxrate: roundToKbps(videoBitrate * MAXRATE_FACTOR),
        bufsize: roundToKbps(videoBitrate * BUFSIZE_FACTOR),
        frameRate,
        gopFrames: Math.round(frameRate * segmentSeconds),
      };
    }),
    audio: planAudio(probe),
    segmentSeconds,
    hdrToSdr: video.hdr !== null,
  };
}

function rungSizes(video: VideoProbe): { name: string; width: number; height: number }[] {
  const { displayWidth: w, displayHeight: h } = video;
  const landscape = w >= h;
  const shortSide = Math.min(w, h);
  // Odd sizes are cut to even ones, never rounded up: H.264 4:2:0 needs even dimensions.
  const own = { width: floorEven(w), height: floorEven(h) };

  const fitting = RUNG_SIZES.filter((size) => shortSide >= size * NEAR_RUNG);
  if (fitting.length === 0) return [{ name: `${Math.min(own.width, own.height)}p`, ...own }];

  return fitting.map((size) => {
    if (size >= shortSide) return { name: `${size}p`, ...own };
    const longSide = Math.min(roundEven((Math.max(w, h) * size) / shortSide), landscape ? own.width : own.height);
    return landscape ? { name: `${size}p`, width: longSide, height: size } : { name: `${size}p`, width: size, height: longSide };
  });
}

function rungBitrate(pixels: number, frameRate: number, video: VideoProbe, sourceBitrate: number | undefined): number {
  const fromTable = BASE_BITRATE * (pixels / BASE_PIXELS) ** PIXEL_EXPONENT * (frameRate / BASE_FPS) ** FPS_EXPONENT;
  if (sourceBitrate === undefined) return roundToKbps(fromTable);
  const sourceFrameRate = video.frameRate > 0 ? video.frameRate : frameRate;
  const sourcePixels = video.displayWidth * video.displayHeight;
  const cap =
    SOURCE_BITRATE_CAP * sourceBitrate * Math.min(1, pixels / sourcePixels) ** PIXEL_EXPONENT * Math.min(1, frameRate / sourceFrameRate) ** FPS_EXPONENT;
  return roundToKbps(Math.min(fromTable, cap));
}

/** The video stream's own bitrate, else the file's minus the audio's; undefined when unknown. */
function sourceVideoBitrate(probe: MediaProbe): number | undefined {
  const bitrate = probe.video?.bitRate ?? (probe.bitRate === null ? undefined : probe.bitRate - (probe.audio?.bitRate ?? 0));
  return bitrate !== undefined && bitrate > 0 ? bitrate : undefined;
}

function rungFrameRate(sourceFrameRate: number): number {
  const divisor = Math.ceil(sourceFrameRate / MAX_FRAME_RATE);
  return Math.round((sourceFrameRate / divisor) * 1000) / 1000;
}

function planAudio(probe: MediaProbe): LadderAudio {
  const audio = probe.audio;
  if (!audio) return { mode: 'none' };
  if (audio.codec === 'aac' && audio.channels >= 1 && audio.channels <= 2) {
    return audio.bitRate === undefined ? { mode: 'copy', channels: audio.channels } : { mode: 'copy', channels: audio.channels, bitrate: audio.bitRate };
  }
  return { mode: 'aac', bitrate: AAC_BITRATE, channels: 2 };
}

function roundToKbps(bps: number): number {
  return Math.max(1000, Math.round(bps / 1000) * 1000);
}

function roundEven(n: number): number {
  return Math.max(2, Math.round(n / 2) * 2);
}

function floorEven(n: number): number {
  return Math.max(2, Math.floor(n / 2) * 2);
}
