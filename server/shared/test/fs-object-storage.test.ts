import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createObjectStorage } from '../src/storage';
import { objectStorageContract } from './object-storage.contract';

const roots: string[] = [];

objectStorageContract('fs (a fresh folder under the system tmp dir)', async () => {
  const root = await mkdtemp(join(tmpdir(), 'nebula-fs-storage-'));
  roots.push(root);
  // check() must create the folder itself, as it does for data/objects on a first start.
  return createObjectStorage({ driver: 'fs', root: join(root, 'objects') });
});

afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

describe('fs driver', () => {
  it('refuses, with a reason, a key that is also a folder of other keys (S3 allows this, files cannot)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'nebula-fs-storage-'));
    roots.push(root);
    const storage = createObjectStorage({ driver: 'fs', root });
    await storage.put('hls/f1/master.m3u8', Readable.from([Buffer.from('#EXTM3U')]));
    await storage.put('posters/f1.jpg', Readable.from([Buffer.from('jpeg')]));

    await expect(storage.put('hls/f1', Readable.from([Buffer.from('x')]))).rejects.toThrow(
      'cannot store "hls/f1": other objects live under "hls/f1/", and the fs driver cannot hold a key that is also a folder',
    );
    await expect(storage.put('posters/f1.jpg/large', Readable.from([Buffer.from('x')]))).rejects.toThrow(
      'cannot store "posters/f1.jpg/large": part of its path is already an object, and the fs driver cannot hold a key that is also a folder',
    );
    expect(await storage.stat('hls/f1/master.m3u8')).toMatchObject({ size: 7 });
    expect(await storage.stat('posters/f1.jpg')).toMatchObject({ size: 4 });
    expect(await readdir(join(root, '.partial'))).toEqual([]);
  });
});
