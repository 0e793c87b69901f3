/**
 * ffmpeg's `-progress pipe:1` output: blocks of key=value lines, each ended by
 * `progress=continue` (or `progress=end` once, at the end), about twice a second. Values ffmpeg
 * does not know yet are `N/A`.
 */

export interface EncodeProgress {
  /** 0–100, from the output time against the source's duration; 100 at `progress=end`. */
  percent: number;
  /** Seconds of output written, or null before ffmpeg knows. */
  outTimeSeconds: number | null;
  fps: number | null;
  /** Against real time: 2 is twice as fast as playback. */
  speed: number | null;
  etaSeconds: number | null;
  done: boolean;
}

/** One block (its key=value pairs) → progress against a source of `durationSeconds`. */
export function readProgressBlock(fields: ReadonlyMap<string, string>, durationSeconds: number): EncodeProgress {
  const done = fields.get('progress') === 'end';
  const outTimeSeconds = outTimeOf(fields);
  const fps = numberOrNull(fields.get('fps'));
  const speed = numberOrNull(fields.get('speed')?.replace(/x$/, ''));

  const fraction = outTimeSeconds !== null && durationSeconds > 0 ? Math.min(1, outTimeSeconds / durationSeconds) : 0;
  const percent = done ? 100 : Math.round(fraction * 1000) / 10;
  let etaSeconds: number | null = null;
  if (done) etaSeconds = 0;
  else if (outTimeSeconds !== null && speed !== null && speed > 0 && durationSeconds > 0) {
    etaSeconds = Math.max(0, Math.round((durationSeconds - outTimeSeconds) / speed));
  }
  return { percent, outTimeSeconds, fps, speed, etaSeconds, done };
}

/**
 * Where the output is, in seconds. out_time_ms is in microseconds too (an old ffmpeg misnomer kept
 * for compatibility); out_time is HH:MM:SS.micro. Before the first frame ffmpeg may print a large
 * negative time: that counts as not known.
 */
function outTimeOf(fields: ReadonlyMap<string, string>): number | null {
  for (const key of ['out_time_us', 'out_time_ms']) {
    const micros = numberOrNull(fields.get(key));
    if (micros !== null) return micros >= 0 ? micros / 1_000_000 : null;
  }
  const clock = /^(-?)(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(fields.get('out_time')?.trim() ?? '');
  if (!clock || clock[1] === '-') return null;
  return Number(clock[2]) * 3600 + Number(clock[3]) * 60 + Number(clock[4]);
}

function numberOrNull(value: string | undefined): number | null {
  const text = value?.trim();
  if (!text || text === 'N/A') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/**
 * Reads ffmpeg's stdout as it arrives, in chunks that may split a line or a block anywhere, and
 * gives one EncodeProgress per finished block.
 */
export class ProgressReader {
  private partialLine = '';
  private fields = new Map<string, string>();

  constructor(private readonly durationSeconds: number) {}

  push(chunk: string): EncodeProgress[] {
    const lines = (this.partialLine + chunk).split('\n');
    this.partialLine = lines.pop() ?? '';
    const reports: EncodeProgress[] = [];
    for (const raw of lines) {
      const line = raw.trim();
      const eq = line.indexOf('=');
      if (eq <= 0) continue;
      const key = line.slice(0, eq);
      this.fields.set(key, line.slice(eq + 1));
      if (key === 'progress') {
        reports.push(readProgressBlock(this.fields, this.durationSeconds));
        this.fields = new Map();
      }
    }
    return reports;
  }
}
