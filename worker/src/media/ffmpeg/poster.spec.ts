import { describe, expect, it } from 'vitest';
import { probeOf } from '../__fixtures__/probes';
import { planLadder } from '../ladder';
import { posterArgs, posterRung, posterSeconds } from './poster';

describe('posterArgs', () => {
  it('takes a frame 3 s in, or a third of the way into a short clip', () => {
    expect([60, 9, 2, 1].map(posterSeconds)).toEqual([3, 3, 0.667, 0.333]);
  });

  it('cuts it from the smallest rung at least as wide as the poster, else the widest', () => {
    const ladderOf = (name: string) => planLadder(probeOf(name));
    expect(posterRung(ladderOf('4k-h264-aac'), probeOf('4k-h264-aac')).name).toBe('720p');
    // Portrait: the poster is 1080 wide, so the 1080x1920 rung.
    expect(posterRung(ladderOf('rotated-phone'), probeOf('rotated-phone'))).toMatchObject({ width: 1080, height: 1920 });
    expect(posterRung(ladderOf('hevc-10bit-hlg'), probeOf('hevc-10bit-hlg')).name).toBe('720p');
  });

  it('reads one segment with its init segment and scales the frame to 1280 wide', () => {
    const source = { init: '/work/out/720p/init_720p.mp4', segment: '/work/out/720p/seg_00001.m4s', offsetSeconds: 2 };
    expect(posterArgs(source, '/work/out/poster.jpg', probeOf('4k-h264-aac'))).toEqual([
      '-hide_banner', '-nostdin', '-y', '-loglevel', 'error',
      '-ss', '2', '-i', 'concat:/work/out/720p/init_720p.mp4|/work/out/720p/seg_00001.m4s',
      '-frames:v', '1', '-vf', 'scale=1280:720', '-q:v', '3', '-update', '1', '/work/out/poster.jpg',
    ]);
  });

  it('keeps a portrait frame no wider than it is, and an odd width even', () => {
    const source = { init: 'i.mp4', segment: 's.m4s', offsetSeconds: 0 };
    const args = posterArgs(source, 'out.jpg', probeOf('rotated-phone'));
    expect(args[args.indexOf('-vf') + 1]).toBe('scale=1080:1920');
    const odd = posterArgs(source, 'out.jpg', probeOf('odd-1918x1078'));
    expect(odd[odd.indexOf('-vf') + 1]).toBe('scale=1280:720');
  });

  it('refuses a path the concat protocol would split', () => {
    expect(() => posterArgs({ init: '/a|b/init.mp4', segment: 's.m4s', offsetSeconds: 0 }, 'out.jpg', probeOf('4k-h264-aac'))).toThrow('a poster source path cannot hold "|"');
  });
});
