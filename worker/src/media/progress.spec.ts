import { describe, expect, it } from 'vitest';
import { ProgressReader, readProgressBlock } from './progress';

// Real output of `ffmpeg -progress pipe:1 -nostats -re -i in.mp4 -t 1.5 ...` (ffmpeg 5.1).
const realRun = `frame=1
fps=0.00
stream_0_0_q=0.0
bitrate=N/A
total_size=N/A
out_time_us=85333
out_time_ms=85333
out_time=00:00:00.085333
dup_frames=0
drop_frames=0
speed=1.07x
progress=continue
frame=32
fps=28.24
stream_0_0_q=20.0
bitrate=N/A
total_size=N/A
out_time_us=1130667
out_time_ms=1130667
out_time=00:00:01.130667
dup_frames=0
drop_frames=0
speed=0.998x
progress=continue
frame=45
fps=28.39
stream_0_0_q=-1.0
bitrate=N/A
total_size=N/A
out_time_us=1500000
out_time_ms=1500000
out_time=00:00:01.500000
dup_frames=0
drop_frames=0
speed=0.946x
progress=end
`;

const block = (text: string) => new Map(text.split('\n').map((line) => line.split('=') as [string, string]));

describe('ProgressReader', () => {
  it('gives one report per block of a real run, ending at 100%', () => {
    expect(new ProgressReader(1.5).push(realRun)).toEqual([
      { percent: 5.7, outTimeSeconds: 0.085333, fps: 0, speed: 1.07, etaSeconds: 1, done: false },
      { percent: 75.4, outTimeSeconds: 1.130667, fps: 28.24, speed: 0.998, etaSeconds: 0, done: false },
      { percent: 100, outTimeSeconds: 1.5, fps: 28.39, speed: 0.946, etaSeconds: 0, done: true },
    ]);
  });

  it('reads the same reports when the output arrives split mid-line', () => {
    const reader = new ProgressReader(1.5);
    const reports = [];
    for (let i = 0; i < realRun.length; i += 7) reports.push(...reader.push(realRun.slice(i, i + 7)));
    expect(reports).toEqual(new ProgressReader(1.5).push(realRun));
  });

  it('waits for the end of a block before reporting', () => {
    const reader = new ProgressReader(10);
    expect(reader.push('frame=1\nout_time_us=5000000\nspeed=2.5x\nprogr')).toEqual([]);
    expect(reader.push('ess=continue\n')).toEqual([{ percent: 50, outTimeSeconds: 5, fps: null, speed: 2.5, etaSeconds: 2, done: false }]);
  });
});

describe('readProgressBlock', () => {
  it('knows nothing yet when ffmpeg says N/A', () => {
    expect(readProgressBlock(block('frame=0\nfps=N/A\nout_time_us=N/A\nout_time_ms=N/A\nout_time=N/A\nspeed=N/A\nprogress=continue'), 60)).toEqual({
      percent: 0,
      outTimeSeconds: null,
      fps: null,
      speed: null,
      etaSeconds: null,
      done: false,
    });
  });

  it('treats the large negative time before the first frame as not known', () => {
    expect(readProgressBlock(block('out_time_us=-9223372036854775807\nout_time=-2562047788:00:54.775807\nspeed=N/A\nprogress=continue'), 60)).toMatchObject({
      percent: 0,
      outTimeSeconds: null,
    });
  });

  it('falls back to out_time_ms (microseconds, despite the name), then to out_time', () => {
    expect(readProgressBlock(block('out_time_ms=30000000\nspeed=3x\nprogress=continue'), 60)).toMatchObject({ percent: 50, outTimeSeconds: 30, etaSeconds: 10 });
    expect(readProgressBlock(block('out_time=00:01:30.500000\nspeed=1x\nprogress=continue'), 120)).toMatchObject({ percent: 75.4, outTimeSeconds: 90.5, etaSeconds: 30 });
  });

  it('never passes 100% when ffmpeg runs past the probed duration', () => {
    expect(readProgressBlock(block('out_time_us=61000000\nspeed=1x\nprogress=continue'), 60)).toMatchObject({ percent: 100, etaSeconds: 0 });
  });

  it('has no ETA while the speed is zero or unknown', () => {
    expect(readProgressBlock(block('out_time_us=1000000\nspeed=0x\nprogress=continue'), 60).etaSeconds).toBeNull();
    expect(readProgressBlock(block('out_time_us=1000000\nprogress=continue'), 60).etaSeconds).toBeNull();
  });
});
