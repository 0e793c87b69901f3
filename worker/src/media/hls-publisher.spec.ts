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

/**
 * A work folder with, for each rung, its playlist, init file and two segments (each file holding its
 * own name), and an fs store; both removed once `test` has run.
 */
async function withRungs(rungs: string[], test: (local: string, store: FsObjectStorage) => Promise<void>): Promise<void> {
  const local = await mkdtemp(join(tmpdir(), 'nebula-publisher-'));
  const root = await mkdtemp(join(tmpdir(), 'nebula-publisher-store-'));
  try {
    for (const rung of rungs) {
      await mkdir(join(local, rung));
      await writeFile(join(local, rung, 'index.m3u8'), variant.replace(/init_0/, `init_${rung}`));
      for (const f of [`init_${rung}.mp4`, 'seg_00000.m4s', 'seg_00001.m4s']) await writeFile(join(local, rung, f), f);
    }
    await test(local, new FsObjectStorage(root));
  } finally {
    await rm(local, { recursive: true, force: true });
    await rm(root, { recursive: true, force: true });
  }
}

/** A test double for a store that does something first (waits, fails) with each object it is given, by put or putFile. */
function storeThat(store: FsObjectStorage, first: (key: string) => Promise<void>): FsObjectStorage {
  return Object.assign(Object.create(store) as FsObjectStorage, {
    put: async (...args: Parameters<FsObjectStorage['put']>) => {
      await first(args[0]);
      return store.put(...args);
    },
    putFile: async (...args: Parameters<FsObjectStorage['putFile']>) => {
      await first(args[0]);
      return store.putFile(...args);
    },
  });
}

describe('HlsPublisher.sync', () => {
  it('joins syncs asked for while a pass waits to start, so a slow store never piles passes up', async () => {
    await withRungs(['720p'], async (local, store) => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let puts = 0;
      const slow = storeThat(store, async () => {
        puts++;
        await gate;
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
    });
  });

  it('publishes every rung side by side: a slow 4K segment does not hold the other rungs back', async () => {
    await withRungs(['2160p', '360p'], async (local, store) => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      // A test double for a store slow to take one large object: whichever rung's segment comes
      // first (the listing's order is the file system's) stands for the copied 4K segment.
      let held: string | undefined;
      const slow = storeThat(store, async (key) => {
        const rung = /r1\/(\w+)\/seg_00000/.exec(key)?.[1];
        if (rung && (held ??= rung) === rung) await gate;
      });
      const publisher = new HlsPublisher(slow, local, 'hls/f/r1/', 'hls/f/master.m3u8', 'r1');
      let passDone = false;
      const pass = publisher.sync().then(() => (passDone = true));
      await expect.poll(() => held).toBeDefined();
      const other = held === '2160p' ? '360p' : '2160p';
      await expect.poll(() => store.stat(`hls/f/r1/${other}/index.m3u8`)).not.toBeNull();
      // The slow rung's playlist waits for its segment, and the pass for every upload it started.
      expect(await store.stat(`hls/f/r1/${held}/index.m3u8`)).toBeNull();
      expect(passDone).toBe(false);
      release();
      await pass;
      expect(await store.stat(`hls/f/r1/${held}/index.m3u8`)).not.toBeNull();
    });
  });

  it('fails a pass whose upload fails, only once the other rungs’ uploads have ended', async () => {
    await withRungs(['720p', '360p'], async (local, store) => {
      let slowEnded = false;
      // A test double for a store that refuses one object and is slow with another.
      const failing = storeThat(store, async (key) => {
        if (key.endsWith('720p/seg_00000.m4s')) throw new Error('the store is full');
        if (key.endsWith('360p/seg_00001.m4s')) {
          await new Promise((r) => setTimeout(r, 200));
          slowEnded = true;
        }
      });
      const publisher = new HlsPublisher(failing, local, 'hls/f/r1/', 'hls/f/master.m3u8', 'r1');
      await expect(publisher.sync()).rejects.toThrow('the store is full');
      expect(slowEnded).toBe(true);
      expect(await store.stat('hls/f/r1/720p/index.m3u8')).toBeNull();
    });
  });

  it('runs the next pass after one that failed, and that pass publishes what the failed one could not', async () => {
    await withRungs(['720p'], async (local, store) => {
      // A test double for a store that is down for the first pass (as when Postgres, which the
      // master's fence asks, or object storage restarts) and back for the next.
      let down = true;
      const restarting = storeThat(store, async () => {
        if (down) throw new Error('connect ECONNREFUSED');
      });
      await writeFile(join(local, 'master.m3u8'), '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=1280x720\n720p/index.m3u8\n');
      const publisher = new HlsPublisher(restarting, local, 'hls/f/r1/', 'hls/f/master.m3u8', 'r1');
      await expect(publisher.sync()).rejects.toThrow('ECONNREFUSED');
      down = false;
      await publisher.sync();
      expect(publisher.isMasterPublished).toBe(true);
      expect((await store.stat('hls/f/r1/720p/seg_00001.m4s'))?.size).toBe('seg_00001.m4s'.length);
      expect(await store.stat('hls/f/master.m3u8')).not.toBeNull();
    });
  });
});
