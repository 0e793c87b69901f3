/** The captured ffprobe answers of __fixtures__/*.json, parsed, and a transcode job for each: for the specs. */
import { readFileSync } from 'node:fs';
import type { HlsJob } from '../ffmpeg/hls-command-builder';
import { planLadder } from '../ladder';
import { parseProbe, type MediaProbe } from '../probe';

export const probeOf = (name: string): MediaProbe => parseProbe(readFileSync(new URL(`./${name}.json`, import.meta.url), 'utf8'), `${name}.mp4`);
export const jobFor = (probe: MediaProbe): HlsJob => ({ input: '/work/in/original', outputDir: '/work/out', probe, ladder: planLadder(probe) });
export const jobOf = (name: string): HlsJob => jobFor(probeOf(name));
