import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Config } from '@nebula/shared';
import { FfmpegRunner } from '../src/media/ffmpeg.runner';
import { tempDir } from '../../ops/test-support/services';

// The runner as the worker makes it, with Debian's ffmpeg and ffprobe.
const runner = new FfmpegRunner({ media: { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' } } as unknown as Config);

/** The pid of the running process whose command line holds `marker` (ours: a unique argument). */
async function pidOf(marker: string): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      const cmdline = (() => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {
          return '';
        }
      })();
      // The program itself, not setpriv on its way to exec it.
      if (cmdline.includes(marker) && /^[^\0]*ff(mpeg|probe)\0/.test(cmdline)) return Number(pid);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no process with ${marker} in its command line`);
}

/** The nice value of every thread of `pid` (field 19 of /proc/<pid>/task/<tid>/stat). */
function nicenessOfThreads(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe('the worker runs ffmpeg and ffprobe', () => {
  it('runs ffmpeg below the services, every thread of it at nice 10, so the gateway keeps a core while it encodes', async () => {
    const marker = `nebula-nice-${process.pid}-${Date.now()}`;
    const stop = new AbortController();
    const encode = runner.ffmpeg(['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30:duration=20', '-c:v', 'libx264', '-preset', 'ultrafast', '-metadata', `comment=${marker}`, '-f', 'null', '-'], {
      signal: stop.signal,
    });
    const pid = await pidOf(marker);
    // x264 starts its threads once it has the first frame: wait for them.
    for (let tries = 0; tries < 100 && nicenessOfThreads(pid).length < 2; tries++) await new Promise((r) => setTimeout(r, 20));
    const threads = nicenessOfThreads(pid);
    expect(threads.length).toBeGreaterThan(1);
    expect(new Set(threads)).toEqual(new Set([10]));
    stop.abort(new Error('enough'));
    await expect(encode).rejects.toThrow('enough');
  });

  it('runs ffprobe at the normal priority, and stops a keyframe scan when asked', async () => {
    const dir = await tempDir();
    try {
      const clip = join(dir.path, 'clip.mp4');
      execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', clip]);
      // The scan reads from a FIFO nobody writes to, so it runs until it is stopped.
      const fifo = join(dir.path, `never-${process.pid}.mp4`);
      execFileSync('mkfifo', [fifo]);
      const stop = new AbortController();
      const scan = runner.ffprobe(['-v', 'error', '-show_entries', 'packet=pts_time,flags', '-of', 'compact=p=0', fifo], { signal: stop.signal });
      const pid = await pidOf(fifo);
      expect(nicenessOfThreads(pid)[0]).toBe(0);
      stop.abort(new Error('not needed'));
      await expect(scan).rejects.toThrow('not needed');
      for (let tries = 0; tries < 100 && existsSync(`/proc/${pid}`); tries++) await new Promise((r) => setTimeout(r, 20));
      expect(existsSync(`/proc/${pid}`)).toBe(false);
      // And a scan left alone answers.
      expect(await runner.ffprobe(['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=flags', '-of', 'compact=p=0', clip])).toContain('flags=K');
    } finally {
      await dir.remove();
    }
  });
});
