import { describe, expect, it } from 'vitest';
import { parseStoryboard, tileAt } from './storyboard';

const vtt = `WEBVTT

00:00:00.000 --> 00:00:02.000
r1-software/storyboard/sprite_000.jpg#xywh=0,0,160,90

00:00:02.000 --> 00:00:04.000
r1-software/storyboard/sprite_000.jpg#xywh=160,0,160,90

01:40.000 --> 01:42.500
r1-software/storyboard/sprite_001.jpg#xywh=0,0,160,90
`;

describe('the seek-preview track', () => {
  it('reads every cue, with its sheet resolved against the track and its tile', () => {
    expect(parseStoryboard(vtt, '/hls/f1/storyboard.vtt')).toEqual([
      { start: 0, end: 2, image: '/hls/f1/r1-software/storyboard/sprite_000.jpg', x: 0, y: 0, width: 160, height: 90 },
      { start: 2, end: 4, image: '/hls/f1/r1-software/storyboard/sprite_000.jpg', x: 160, y: 0, width: 160, height: 90 },
      { start: 100, end: 102.5, image: '/hls/f1/r1-software/storyboard/sprite_001.jpg', x: 0, y: 0, width: 160, height: 90 },
    ]);
  });

  it('finds the tile for a time, the last one past the end', () => {
    const tiles = parseStoryboard(vtt, 'http://nebula.example/hls/f1/storyboard.vtt');
    expect(tiles[0]!.image).toBe('http://nebula.example/hls/f1/r1-software/storyboard/sprite_000.jpg');
    expect(tileAt(tiles, 0)!.x).toBe(0);
    expect(tileAt(tiles, 3.9)!.x).toBe(160);
    expect(tileAt(tiles, 500)!.start).toBe(100);
    expect(tileAt([], 1)).toBeNull();
  });
});
