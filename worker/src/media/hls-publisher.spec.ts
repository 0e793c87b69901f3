import { describe, expect, it } from 'vitest';
import { playlistReferences, prefixMasterPlaylist } from './hls-publisher';

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
