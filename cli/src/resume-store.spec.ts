import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResumeStore } from './resume-store';

// tus-js-client writes creationTime with Date#toString().
const upload = (url: string, creationTime = new Date().toString()) => ({
  size: 10,
  metadata: { filename: 'a.mp4' },
  creationTime,
  urlStorageKey: '',
  uploadUrl: url,
  parallelUploadUrls: null,
});

describe('ResumeStore', () => {
  let dir = '';
  let file = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nebula-resume-'));
    file = join(dir, 'state', 'uploads.json');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('finds an upload by its exact fingerprint only, newest first', async () => {
    const store = new ResumeStore(file);
    await store.addUpload('fp:/home/a.mp4', upload('http://s/api/uploads/1', new Date(Date.now() - 60_000).toString()));
    await store.addUpload('fp:/home/a.mp4.bak', upload('http://s/api/uploads/2'));
    await store.addUpload('fp:/home/a.mp4', upload('http://s/api/uploads/3', new Date(Date.now() + 5_000).toString()));
    const found = await new ResumeStore(file).findUploadsByFingerprint('fp:/home/a.mp4');
    expect(found.map((u) => u.uploadUrl)).toEqual(['http://s/api/uploads/3', 'http://s/api/uploads/1']);
    expect((await store.findAllUploads()).length).toBe(3);
  });

  it('forgets an upload by its key, and old entries on the next write', async () => {
    const store = new ResumeStore(file);
    const key = await store.addUpload('fp', upload('http://s/api/uploads/1'));
    await store.removeUpload(key);
    expect(await store.findAllUploads()).toEqual([]);
    await store.addUpload('old', upload('http://s/api/uploads/old', new Date('2000-01-01T00:00:00.000Z').toString()));
    expect(await store.findAllUploads()).toEqual([]);
  });

  it('keeps every entry when many are written at once', async () => {
    const store = new ResumeStore(file);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.addUpload(`fp${i}`, upload(`http://s/api/uploads/${i}`))));
    expect((await store.findAllUploads()).length).toBe(20);
    expect(JSON.parse(await readFile(file, 'utf8'))).toBeTypeOf('object');
  });

  it('starts over from an unreadable file instead of failing', async () => {
    const store = new ResumeStore(file);
    await store.addUpload('fp', upload('http://s/api/uploads/1'));
    await writeFile(file, '{"tus::x": {"finger');
    expect(await store.findAllUploads()).toEqual([]);
    await store.addUpload('fp', upload('http://s/api/uploads/2'));
    expect((await store.findUploadsByFingerprint('fp')).map((u) => u.uploadUrl)).toEqual(['http://s/api/uploads/2']);
  });
});
