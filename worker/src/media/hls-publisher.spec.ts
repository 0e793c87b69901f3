import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsObjectStorage } from '@nebula/shared/storage';
import { HlsPublisher, playlistReferences, prefixMasterPlaylist } from './hls-publisher';

const variant = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:4
#EXT-X-PLAYLIST-TYPE:EVENT
#EXT-X-MAP:URI="init_0.mp4"
#EXTINF:4.000000,
seg_00000.m4s
#EXTINF:4.000000,
seg_00001.m4s
`;

const master = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-STREAM-INF:BANDWIDTH=5500000,RESOLUTION=1920x1080,CODECS="avc1.640028,mp4a.40.2"
1080p/index.m3u8

#EXT-X-STREAM-INF:BANDWIDTH=2800000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2"
720p/index.m3u8
`;

describe('playlistReferences', () => {
  it('lists the init file and the segments of a variant playlist, in order', () => {
    expect(playlistReferences(variant)).toEqual(['init_0.mp4', 'seg_00000.m4s', 'seg_00001.m4s']);
  });
  it('lists the variant playlists of a master', () => {
    expect(playlistReferences(master)).toEqual(['1080p/index.m3u8', '720p/index.m3u8']);
  });
});

describe('prefixMasterPlaylist', () => {
  it('points every variant into the run folder and leaves the tags alone', () => {
    expect(prefixMasterPlaylist(master, 'r1')).toBe(master.replace('1080p/', 'r1/1080p/').replace('\n720p/', '\nr1/720p/'));
  });
});

describe('HlsPublisher.sync', () => {
  it('joins syncs asked for while a pass waits to start, so a slow store never piles passes up', async () => {
    const local = await mkdtemp(join(tmpdir(), 'nebula-publisher-'));
    const root = await mkdtemp(join(tmpdir(), 'nebula-publisher-store-'));
    try {
      await mkdir(join(local, '720p'));
      await writeFile(join(local, '720p', 'index.m3u8'), variant.replace(/init_0/, 'init_720p'));
      for (const f of ['init_720p.mp4', 'seg_00000.m4s', 'seg_00001.m4s']) await writeFile(join(local, '720p', f), f);
      const store = new FsObjectStorage(root);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let puts = 0;
      const slow = Object.assign(Object.create(store) as FsObjectStorage, {
        put: async (...args: Parameters<FsObjectStorage['put']>) => {
          puts++;
          await gate;
          return store.put(...args);
        },
      });
      const publisher = new HlsPublisher(slow, local, 'hls/f/r1/', 'hls/f/master.m3u8', 'r1');
      const first = publisher.sync();
      await new Promise((r) => setTimeout(r, 50));
      // The first pass is stuck in the store; the next four calls are one pass, not four.
      const queued = [publisher.sync(), publisher.sync(), publisher.sync(), publisher.sync()];
      expect(new Set(queued).size).toBe(1);
      expect(queued[0]).not.toBe(first);
      release();
      await Promise.all([first, ...queued]);
      expect(puts).toBe(4); // init, two segments, the playlist: once each
      expect((await store.stat('hls/f/r1/720p/seg_00001.m4s'))?.size).toBe('seg_00001.m4s'.length);
    } finally {
      await rm(local, { recursive: true, force: true });
      await rm(root, { recursive: true, force: true });
    }
  });
});
