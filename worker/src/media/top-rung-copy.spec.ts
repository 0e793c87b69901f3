import { describe, expect, it } from 'vitest';
import { probeOf } from './__fixtures__/probes';
import { planLadder } from './ladder';
import { copyRefusal, forceKeyFramesList, hlsCuts, keyframeScanArgs, keyframeScanTimeoutMs, planTopRungCopy, readKeyframeScan, withCopiedTopRung, type TopRungCopy, type VideoPacket } from './top-rung-copy';

/** 30 fps packets of `bytes` each over `seconds`, a keyframe every `gop` frames. */
function packets(seconds: number, gop: number, bytes = 10_000): VideoPacket[] {
  return Array.from({ length: Math.round(seconds * 30) }, (_, i) => ({ pts: i / 30, duration: 1 / 30, size: bytes, key: i % gop === 0 }));
}

describe('whether the top rung can be the source as it is', () => {
  const phone = probeOf('4k-h264-aac');

  it('takes a 4K H.264 8-bit SDR clip whose declared level fits it', () => {
    expect(copyRefusal(phone, planLadder(phone))).toBeNull();
  });

  it('refuses, in words, what the top rung would not be as it is', () => {
    expect(copyRefusal(probeOf('hevc-10bit-hlg'), planLadder(probeOf('hevc-10bit-hlg')))).toBe('the video is hevc, not H.264');
    expect(copyRefusal(probeOf('rotated-phone'), planLadder(probeOf('rotated-phone')))).toBe('the video is stored turned by 270°: the rungs are upright');
    const video = phone.video!;
    const refusal = (change: Partial<typeof video>) => copyRefusal({ ...phone, video: { ...video, ...change } }, planLadder({ ...phone, video: { ...video, ...change } }));
    expect(refusal({ profile: 'High 10' })).toBe('H.264 profile High 10 is not an 8-bit 4:2:0 one (Baseline, Main, High)');
    expect(refusal({ pixFmt: 'yuvj420p' })).toBe('the pixels are yuvj420p, not 8-bit yuv420p');
    expect(refusal({ colorTransfer: 'smpte2084', hdr: 'pq' })).toBe('the video is HDR (pq): the rungs are tone-mapped to SDR');
    expect(refusal({ fieldOrder: 'tt' })).toBe('the video is interlaced (tt)');
    expect(refusal({ frameRate: 120 })).toBe('the top rung runs at 60 fps, the source at 120');
    // 4K needs level 5.1: a stream that says 4.1 would be refused by a strict decoder.
    expect(refusal({ level: 41 })).toBe('the stream declares level 4.1 but its size and rate need more');
    expect(refusal({ level: 60 })).toBe('H.264 level 60 is not one players are sure to take (at most 5.2)');
    expect(copyRefusal({ ...phone, audio: { ...phone.audio!, startSeconds: -0.1 } }, planLadder(phone))).toBe('the audio starts before the video');
  });
});

describe('the keyframe scan of a long video', () => {
  it('gets time in proportion to the file it reads whole (50 MB/s, a minute at least), so an hour of 4K is not sent to a full encode by a fixed minute', () => {
    expect(keyframeScanTimeoutMs(98_000_000)).toBe(60_000);
    expect(keyframeScanTimeoutMs(3_000_000_000)).toBe(60_000);
    // An hour of 4K HEVC/H.264 from a phone at about 50 Mbit/s.
    expect(keyframeScanTimeoutMs(22_000_000_000)).toBe(440_000);
  });
});

describe('where a copied rung is cut', () => {
  it('follows ffmpeg 5.1: the first keyframe at or after 1 s, 2 s, 3 s, … counted in segments', () => {
    expect(hlsCuts([0, 0.5, 1, 1.5, 2, 2.5, 3])).toEqual([1, 2, 3]);
    expect(hlsCuts([0, 2, 4, 6])).toEqual([2, 4, 6]);
    expect(hlsCuts([0, 0.9, 1.8, 2.7, 3.6])).toEqual([1.8, 2.7, 3.6]);
  });

  it('plans a 4K phone clip with a keyframe a second: cuts, target, -g, rates and CODECS', () => {
    const probe = probeOf('4k-h264-aac');
    const plan = planTopRungCopy(probe, planLadder(probe), packets(4, 30)) as TopRungCopy;
    expect(plan).toEqual({
      cutSeconds: [1, 2, 3],
      segmentSeconds: [1, 1, 1, 1],
      gopFrames: 31,
      targetDurationSeconds: 1,
      peakBitrate: 2_400_000,
      averageBitrate: 2_400_000,
      codecs: 'avc1.42c033',
    });
    expect(forceKeyFramesList([1, 2.033333, 3.0333334])).toBe('1,2.033,3.033');
    const ladder = withCopiedTopRung(planLadder(probe), plan);
    expect(ladder.rungs[0]).toMatchObject({ name: '2160p', videoBitrate: 2_400_000, maxrate: 2_400_000, videoCodecs: 'avc1.42c033' });
    expect(ladder.rungs.slice(1)).toEqual(planLadder(probe).rungs.slice(1));
  });

  it('plans a two-hour video (216,000 packets) as it plans a short one', () => {
    const probe = { ...probeOf('4k-h264-aac'), durationSeconds: 7200 };
    const plan = planTopRungCopy(probe, planLadder(probe), packets(7200, 30)) as TopRungCopy;
    expect(plan.cutSeconds).toHaveLength(7199);
    expect(plan.segmentSeconds.at(-1)).toBe(1);
    expect(plan.targetDurationSeconds).toBe(1);
  });

  it('takes the peak over runs of segments lasting 0.5 to 1.5 target durations (RFC 8216 §4.3.4.2)', () => {
    const probe = probeOf('4k-h264-aac');
    const burst = packets(6, 45).map((p) => (p.pts >= 3 && p.pts < 4.5 ? { ...p, size: 40_000 } : p));
    const plan = planTopRungCopy(probe, planLadder(probe), burst) as TopRungCopy;
    expect(plan.segmentSeconds).toEqual([1.5, 1.5, 1.5, 1.5]);
    expect(plan.peakBitrate).toBe(9_600_000);
    expect(plan.averageBitrate).toBe(4_200_000);
  });

  it('refuses keyframes too far apart, and a stream that starts without one', () => {
    const probe = probeOf('4k-h264-aac');
    expect(planTopRungCopy(probe, planLadder(probe), packets(10, 250))).toEqual({ refused: 'keyframes too far apart: a 8.3 s segment (at most 6 s)' });
    expect(planTopRungCopy(probe, planLadder(probe), packets(2, 30).slice(1))).toEqual({ refused: 'the video does not start with a keyframe' });
  });

  it('reads ffprobe’s packet list', () => {
    expect(keyframeScanArgs('/in')).toEqual(['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,duration_time,size,flags', '-of', 'compact=p=0', '/in']);
    expect(readKeyframeScan('pts_time=0.000000|duration_time=0.033333|size=26025|flags=K_\npts_time=N/A|duration_time=0.033333|size=5|flags=__\npts_time=0.066667|duration_time=0.033333|size=900|flags=__\n')).toEqual([
      { pts: 0, duration: 0.033333, size: 26025, key: true },
      { pts: 0.066667, duration: 0.033333, size: 900, key: false },
    ]);
  });
});
