import { execFile } from 'node:child_process';
import { LADDER_CODEC, type HardwareEncoder } from '@nebula/contract';

/** What a device encodes, as the node advert carries it. */
export type EncoderLimits = Pick<HardwareEncoder, 'codecs' | 'maxWidth' | 'maxHeight' | 'limitsFrom'> & {
  /** One line for the node's log: where the limits come from, and why when they are assumed. */
  detail: string;
};

/** What a device is advertised as when its limits cannot be read: H.264 up to the level 5.1/5.2 frame most drivers report. */
export const ASSUMED_LIMITS: Readonly<Pick<HardwareEncoder, 'codecs' | 'maxWidth' | 'maxHeight' | 'limitsFrom'>> = {
  codecs: [LADDER_CODEC],
  maxWidth: 4096,
  maxHeight: 4096,
  limitsFrom: 'assumed',
};

/** vainfo answers in well under a second; a driver that hangs must not hold the worker's start. */
export const VAINFO_TIMEOUT_MS = 10_000;

/** VA profile name prefixes of the codecs the advert names, as ffmpeg names them. */
const PROFILE_CODECS: [prefix: string, codec: string][] = [
  ['VAProfileH264', 'h264'],
  ['VAProfileHEVC', 'hevc'],
  ['VAProfileAV1', 'av1'],
  ['VAProfileVP9', 'vp9'],
];
const ENCODE_ENTRYPOINTS = new Set(['VAEntrypointEncSlice', 'VAEntrypointEncSliceLP']);

export interface VainfoEncoders {
  /** Codecs with an encode entrypoint, in PROFILE_CODECS order. */
  codecs: string[];
  /** The largest picture an H.264 encode entrypoint takes; absent when the driver does not say (older Mesa). */
  h264Max?: { width: number; height: number };
}

/**
 * Reads `vainfo --all` output: a `VAProfileX/VAEntrypointY` line opens a section, its indented
 * `VAConfigAttribName : value` lines follow. Only video encoders count (EncSlice, and EncSliceLP,
 * the low-power encoder that is the only one on some Intel GPUs); JPEG's EncPicture does not.
 */
export function parseVainfo(output: string): VainfoEncoders {
  const codecs = new Set<string>();
  let h264Max: VainfoEncoders['h264Max'];
  let section: { codec: string; width?: number; height?: number } | null = null;
  const closeSection = () => {
    if (section?.codec === 'h264' && section.width && section.height && (!h264Max || section.width * section.height > h264Max.width * h264Max.height)) {
      h264Max = { width: section.width, height: section.height };
    }
    section = null;
  };
  for (const line of output.split('\n')) {
    const header = /^(VAProfile\w+)\/(VAEntrypoint\w+)\s*$/.exec(line);
    if (header) {
      closeSection();
      const codec = PROFILE_CODECS.find(([prefix]) => header[1]!.startsWith(prefix))?.[1];
      if (codec && ENCODE_ENTRYPOINTS.has(header[2]!)) {
        codecs.add(codec);
        section = { codec };
      }
      continue;
    }
    const size = /^\s+VAConfigAttribMaxPicture(Width|Height)\s*:\s*(\d+)/.exec(line);
    if (size && section) section[size[1] === 'Width' ? 'width' : 'height'] = Number(size[2]);
  }
  closeSection();
  return { codecs: PROFILE_CODECS.map(([, codec]) => codec).filter((c) => codecs.has(c)), ...(h264Max ? { h264Max } : {}) };
}

/** The limits to advertise from what vainfo listed; assumed, and saying why, where it leaves something out. */
export function encoderLimits(device: string, found: VainfoEncoders): EncoderLimits {
  if (!found.codecs.includes(LADDER_CODEC)) {
    return assumedLimits(`vainfo lists no H.264 encoder on ${device} (though the test encode passed)`);
  }
  if (!found.h264Max) {
    const { maxWidth, maxHeight } = ASSUMED_LIMITS;
    return {
      codecs: found.codecs,
      maxWidth,
      maxHeight,
      limitsFrom: 'assumed',
      detail: `codecs from vainfo on ${device}; its driver gives no largest picture for H.264 encoding: assumed ${maxWidth}x${maxHeight}`,
    };
  }
  return { codecs: found.codecs, maxWidth: found.h264Max.width, maxHeight: found.h264Max.height, limitsFrom: 'vainfo', detail: `limits from vainfo on ${device}` };
}

export function assumedLimits(why: string): EncoderLimits {
  const { codecs, maxWidth, maxHeight } = ASSUMED_LIMITS;
  return { ...ASSUMED_LIMITS, codecs: [...codecs], detail: `${why}: assumed ${codecs.join('/')} up to ${maxWidth}x${maxHeight}` };
}

/**
 * Runs `vainfo --display drm --device <render node> --all` once and reads the device's encoders
 * from it. Never rejects: vainfo missing (Debian package `vainfo`), failing or hanging gives the
 * assumed limits, with the reason in `detail`.
 */
export async function readEncoderLimits(device: string, options: { command?: string; timeoutMs?: number } = {}): Promise<EncoderLimits> {
  const command = options.command ?? 'vainfo';
  const timeoutMs = options.timeoutMs ?? VAINFO_TIMEOUT_MS;
  return new Promise((resolve) => {
    execFile(command, ['--display', 'drm', '--device', device, '--all'], { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve(encoderLimits(device, parseVainfo(stdout)));
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return resolve(assumedLimits(`${command} not found (install the vainfo package to read the device's limits)`));
      if (error.killed) return resolve(assumedLimits(`${command} did not answer within ${timeoutMs / 1000} s on ${device}`));
      const last = `${stderr}`.trim().split('\n').filter(Boolean).at(-1);
      resolve(assumedLimits(`${command} failed on ${device}${last ? ` (${last.trim()})` : ` (exit ${String(code)})`}`));
    });
  });
}
