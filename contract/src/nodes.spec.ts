import { describe, expect, it } from 'vitest';
import { nodeMay, nodeStorageObjectPath } from './nodes';

describe('what a worker node may touch through the gateway', () => {
  it('reads originals, renditions and posters; writes only renditions and posters', () => {
    for (const key of ['originals/f1', 'hls/f1/master.m3u8', 'posters/f1.jpg']) expect(nodeMay('read', key), key).toBe(true);
    for (const key of ['hls/f1/run/seg_1.m4s', 'hls/f1/storyboard.vtt', 'posters/f1.jpg']) expect(nodeMay('write', key), key).toBe(true);
    for (const key of ['originals/f1', '.partial/x', 'uploads/x', 'hls/', 'posters/']) expect(nodeMay('write', key), key).toBe(false);
    for (const key of ['.partial/x', 'originals/', 'other/x']) expect(nodeMay('read', key), key).toBe(false);
  });

  it('lists and deletes by prefix only inside one file\u2019s renditions', () => {
    for (const prefix of ['hls/f1/', 'hls/f1/run-']) expect(nodeMay('list', prefix), prefix).toBe(true);
    for (const prefix of ['', 'hls/', 'hls/f', 'posters/', 'originals/']) expect(nodeMay('list', prefix), prefix).toBe(false);
  });

  it('puts a key in the path part by part, slashes kept', () => {
    expect(nodeStorageObjectPath('hls/f1/a b#1.m4s')).toBe('/api/nodes/storage/hls/f1/a%20b%231.m4s');
  });
});
