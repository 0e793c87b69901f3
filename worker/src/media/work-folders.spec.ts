import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStaleWorkFolder, WorkFolders } from './work-folders';

const alive = new Set([1234]);
const isAlive = (pid: number) => alive.has(pid);
const HOUR = 60 * 60 * 1000;

describe('isStaleWorkFolder', () => {
  it('removes the folders of a worker that is gone, and keeps those of one alive or of this one', () => {
    expect(isStaleWorkFolder('nebula-hls-999999-aB3dEf', isAlive, 0)).toBe(true);
    expect(isStaleWorkFolder('nebula-original-999999-aB3dEf', isAlive, 0)).toBe(true);
    expect(isStaleWorkFolder('nebula-hls-1234-aB3dEf', isAlive, 10 * HOUR)).toBe(false);
    expect(isStaleWorkFolder(`nebula-hls-${process.pid}-aB3dEf`, () => false, 1000, 60_000)).toBe(false);
  });

  it('removes a folder named with this pid but older than this process: a restarted container reuses its pid', () => {
    expect(isStaleWorkFolder(`nebula-original-${process.pid}-aB3dEf`, () => true, 10 * HOUR, 60_000)).toBe(true);
  });

  it('leaves folders without a pid alone unless untouched for an hour (a test, another tool), and ignores the rest', () => {
    expect(isStaleWorkFolder('nebula-hls-aB3dEf', isAlive, 5 * 60 * 1000)).toBe(false);
    expect(isStaleWorkFolder('nebula-hls-aB3dEf', isAlive, 2 * HOUR)).toBe(true);
    expect(isStaleWorkFolder('nebula-test-999999-x', isAlive, 10 * HOUR)).toBe(false);
    expect(isStaleWorkFolder('something-else', isAlive, 10 * HOUR)).toBe(false);
  });
});

describe('WorkFolders.removeStale, on a real folder', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'nebula-workfolders-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('removes what a killed worker left, keeps the folders of a live process', async () => {
    // A real process that has exited: its pid is free now.
    const dead = spawnSync('true').pid!;
    await mkdir(join(root, `nebula-hls-${dead}-x1`, 'software'), { recursive: true });
    await mkdir(join(root, `nebula-hls-${process.ppid}-x2`));
    await mkdir(join(root, 'nebula-hls-old'));
    await utimes(join(root, 'nebula-hls-old'), new Date(Date.now() - 2 * HOUR), new Date(Date.now() - 2 * HOUR));
    await mkdir(join(root, 'nebula-hls-fresh'));

    expect((await new WorkFolders(root).removeStale()).sort()).toEqual([`nebula-hls-${dead}-x1`, 'nebula-hls-old']);
    expect(existsSync(join(root, `nebula-hls-${process.ppid}-x2`))).toBe(true);
    expect(existsSync(join(root, 'nebula-hls-fresh'))).toBe(true);
  });
});
