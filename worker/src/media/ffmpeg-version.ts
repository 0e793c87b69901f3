import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Asks the ffmpeg binary for its version; the answer appears in /api/health. */
export async function readFfmpegVersion(ffmpegPath: string): Promise<{ version: string } | { error: string }> {
  try {
    const { stdout } = await run(ffmpegPath, ['-hide_banner', '-version'], { timeout: 10_000 });
    return { version: parseFfmpegVersion(stdout) };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return {
      error:
        e.code === 'ENOENT'
          ? `ffmpeg not found at "${ffmpegPath}" (install ffmpeg, or set NEBULA_FFMPEG_PATH)`
          : `ffmpeg at "${ffmpegPath}" did not run: ${e.message}`,
    };
  }
}

/** "ffmpeg version 5.1.8-0+deb12u1 Copyright ..." → "5.1.8-0+deb12u1" */
export function parseFfmpegVersion(output: string): string {
  const match = /^ffmpeg version (\S+)/m.exec(output);
  return match?.[1] ?? output.split('\n')[0]?.trim() ?? 'unknown';
}
