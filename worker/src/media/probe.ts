/**
 * What ffprobe says about an original, in the shape the ladder planner needs. Pure: the caller runs
 * ffprobe with `probeArgs` and hands its stdout (or, when it fails, its stderr) to these functions.
 */

export type HdrTransfer = 'pq' | 'hlg';

/** Degrees the stored picture is turned clockwise for display. */
export type Rotation = 0 | 90 | 180 | 270;

export interface VideoProbe {
  codec: string;
  profile?: string;
  /** As stored (coded), before rotation. */
  width: number;
  height: number;
  /** As shown: after the sample aspect ratio and the rotation. */
  displayWidth: number;
  displayHeight: number;
  rotation: Rotation;
  /** Frames per second, to 3 decimals (30000/1001 → 29.97); 0 when ffprobe could not tell. */
  frameRate: number;
  pixFmt: string;
  bitDepth: number;
  colorTransfer: string | null;
  colorPrimaries: string | null;
  colorSpace: string | null;
  hdr: HdrTransfer | null;
  bitRate?: number;
  /** H.264/HEVC level as ffprobe prints it (51 is level 5.1). */
  level?: number;
  /** 'progressive', 'tt', 'bb', ...; absent when ffprobe could not tell. */
  fieldOrder?: string;
  /** The first timestamp, in seconds. */
  startSeconds?: number;
}

export interface AudioProbe {
  codec: string;
  channels: number;
  sampleRate: number;
  bitRate?: number;
  /** The first timestamp, in seconds. */
  startSeconds?: number;
}

export interface MediaProbe {
  /** ffprobe's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2". */
  container: string;
  durationSeconds: number;
  sizeBytes: number;
  bitRate: number | null;
  video?: VideoProbe;
  audio?: AudioProbe;
}

/** Media that cannot go through the pipeline; the message is what the user is told. */
export class MediaProbeError extends Error {
  override readonly name = 'MediaProbeError';
  constructor(
    message: string,
    readonly fileName: string,
  ) {
    super(message);
  }
}

/** The ffprobe arguments whose JSON `parseProbe` reads. */
export function probeArgs(input: string): string[] {
  return ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', input];
}

/** The parts of ffprobe's `-show_format -show_streams` JSON we read. Numbers often come as strings. */
interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  pix_fmt?: string;
  bits_per_raw_sample?: string;
  color_transfer?: string;
  color_primaries?: string;
  color_space?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  channels?: number;
  sample_rate?: string;
  bit_rate?: string;
  duration?: string;
  level?: number;
  field_order?: string;
  start_time?: string;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string>;
  side_data_list?: { side_data_type?: string; rotation?: number }[];
}

interface FfprobeFormat {
  format_name?: string;
  duration?: string;
  size?: string;
  bit_rate?: string;
}

interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: FfprobeFormat;
}

/** Containers ffprobe reports for a single picture: a photo renamed to .mp4 is not a video. */
const STILL_IMAGE_FORMAT = /^(image2|.+_pipe)$/;

/**
 * ffprobe's JSON (as text or parsed) → MediaProbe. Throws MediaProbeError, in words, for files that
 * are not audio or video.
 */
export function parseProbe(ffprobeJson: unknown, fileName: string): MediaProbe {
  const output = readOutput(ffprobeJson, fileName);
  const streams = output.streams ?? [];
  const format = output.format ?? {};
  // Cover art in music files is a one-picture "video" stream marked attached_pic: not a video.
  const videoStream = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  const audioStream = streams.find((s) => s.codec_type === 'audio');

  if (!videoStream && !audioStream) {
    throw new MediaProbeError(`ffprobe found no video or audio stream in "${fileName}" (is it a media file?)`, fileName);
  }
  if (videoStream && !audioStream && STILL_IMAGE_FORMAT.test(format.format_name ?? '')) {
    const kind = videoStream.codec_name ? ` (${videoStream.codec_name})` : '';
    throw new MediaProbeError(`"${fileName}" is a still image${kind}, not a video`, fileName);
  }

  const durationSeconds = number(format.duration) ?? Math.max(0, ...streams.map((s) => number(s.duration) ?? 0));
  if (!(durationSeconds > 0)) {
    throw new MediaProbeError(`ffprobe could not tell how long "${fileName}" is (the file may be cut short or damaged)`, fileName);
  }

  const probe: MediaProbe = {
    container: format.format_name ?? 'unknown',
    durationSeconds,
    sizeBytes: number(format.size) ?? 0,
    bitRate: number(format.bit_rate) ?? null,
  };
  if (videoStream) probe.video = parseVideo(videoStream, fileName);
  if (audioStream) probe.audio = parseAudio(audioStream);
  return probe;
}

function readOutput(ffprobeJson: unknown, fileName: string): FfprobeOutput {
  let value = ffprobeJson;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new MediaProbeError(`ffprobe's answer about "${fileName}" was not JSON (is ffprobe run with -print_format json?)`, fileName);
    }
  }
  if (typeof value !== 'object' || value === null) {
    throw new MediaProbeError(`ffprobe gave no answer about "${fileName}"`, fileName);
  }
  return value as FfprobeOutput;
}

function parseVideo(s: FfprobeStream, fileName: string): VideoProbe {
  const width = s.width ?? 0;
  const height = s.height ?? 0;
  if (width <= 0 || height <= 0) {
    throw new MediaProbeError(`ffprobe found a video stream in "${fileName}" but not its size (the file may be damaged)`, fileName);
  }
  const rotation = rotationOf(s);
  const sar = rational(s.sample_aspect_ratio, ':');
  // Anamorphic video (a DVD's 720x480 shown at 16:9) is widened to square pixels.
  const shownWidth = sar && sar > 0 ? Math.round(width * sar) : width;
  const sideways = rotation === 90 || rotation === 270;
  const colorTransfer = known(s.color_transfer);
  const video: VideoProbe = {
    codec: s.codec_name ?? 'unknown',
    width,
    height,
    displayWidth: sideways ? height : shownWidth,
    displayHeight: sideways ? shownWidth : height,
    rotation,
    frameRate: frameRateOf(s),
    pixFmt: s.pix_fmt ?? 'unknown',
    bitDepth: bitDepthOf(s),
    colorTransfer,
    colorPrimaries: known(s.color_primaries),
    colorSpace: known(s.color_space),
    hdr: colorTransfer === 'smpte2084' ? 'pq' : colorTransfer === 'arib-std-b67' ? 'hlg' : null,
  };
  if (s.profile) video.profile = s.profile;
  const bitRate = number(s.bit_rate);
  if (bitRate !== undefined) video.bitRate = bitRate;
  if (typeof s.level === 'number' && s.level > 0) video.level = s.level;
  if (s.field_order && s.field_order !== 'unknown') video.fieldOrder = s.field_order;
  const start = number(s.start_time);
  if (start !== undefined) video.startSeconds = start;
  return video;
}

function parseAudio(s: FfprobeStream): AudioProbe {
  const audio: AudioProbe = { codec: s.codec_name ?? 'unknown', channels: s.channels ?? 0, sampleRate: number(s.sample_rate) ?? 0 };
  const bitRate = number(s.bit_rate);
  if (bitRate !== undefined) audio.bitRate = bitRate;
  const start = number(s.start_time);
  if (start !== undefined) audio.startSeconds = start;
  return audio;
}

/**
 * Clockwise display rotation. ffprobe prints a display matrix's angle counter-clockwise (a phone's
 * portrait clip shows `rotation: -90`), which ffmpeg's autorotate undoes by turning clockwise; the
 * older `rotate` tag is already clockwise.
 */
function rotationOf(s: FfprobeStream): Rotation {
  const matrix = s.side_data_list?.find((d) => typeof d.rotation === 'number');
  if (matrix?.rotation !== undefined) return normaliseRotation(-matrix.rotation);
  const tag = number(s.tags?.['rotate']);
  return tag === undefined ? 0 : normaliseRotation(tag);
}

export function normaliseRotation(degrees: number): Rotation {
  const quarterTurns = ((Math.round(degrees / 90) % 4) + 4) % 4;
  return ([0, 90, 180, 270] as const)[quarterTurns] ?? 0;
}

function frameRateOf(s: FfprobeStream): number {
  const rate = [s.avg_frame_rate, s.r_frame_rate].map((r) => rational(r, '/')).find((r) => r !== undefined && r > 0);
  return rate === undefined ? 0 : Math.round(rate * 1000) / 1000;
}

function bitDepthOf(s: FfprobeStream): number {
  const raw = number(s.bits_per_raw_sample);
  if (raw !== undefined && raw > 0) return raw;
  // yuv420p10le, p010le, gray12le: bits per component before the endianness.
  const match = /(\d{2})(le|be)$/.exec(s.pix_fmt ?? '');
  const depth = match ? Number(match[1]) : 8;
  return depth >= 9 && depth <= 16 ? depth : 8;
}

function number(value: string | number | undefined): number | undefined {
  if (value === undefined || value === 'N/A' || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function rational(value: string | undefined, separator: string): number | undefined {
  const [num, den] = (value ?? '').split(separator).map(Number);
  if (num === undefined || den === undefined || !Number.isFinite(num) || !Number.isFinite(den) || num <= 0 || den <= 0) return undefined;
  return num / den;
}

function known(value: string | undefined): string | null {
  return value && value !== 'unknown' ? value : null;
}

/**
 * ffprobe failed: its stderr → the reason in words. `sizeBytes` is the original's size, when known:
 * an empty upload is told apart from a damaged one.
 */
export function explainProbeFailure(stderr: string, fileName: string, sizeBytes?: number): string {
  if (sizeBytes === 0) return `"${fileName}" is empty (0 bytes)`;
  if (/moov atom not found/.test(stderr)) {
    // An MP4 keeps its index (moov) at the end unless written for streaming: a cut-short upload loses it.
    return `"${fileName}" is not a video ffmpeg can read, or it was cut short before the end (moov atom not found)`;
  }
  if (/Invalid data found when processing input/.test(stderr)) {
    return `"${fileName}" is not a video ffmpeg can read (Invalid data found when processing input)`;
  }
  if (/No such file or directory/.test(stderr)) return `"${fileName}" was not found where ffprobe looked (No such file or directory)`;
  if (/Permission denied/.test(stderr)) return `"${fileName}" could not be opened (Permission denied)`;
  const lastLine = stderr
    .split('\n')
    .map((line) => line.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/, '').trim())
    .filter(Boolean)
    .pop();
  return `ffprobe could not read "${fileName}" (${lastLine ?? 'it said nothing'})`;
}
