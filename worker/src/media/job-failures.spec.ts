import { describe, expect, it } from 'vitest';
import { isOutage, LostJobError, outageWaitMs } from './job-failures';

describe('a job that meets an outage', () => {
  it('waits 2 s, then twice as long at each outage in a row, up to 30 s; its counted attempts do not add to it', () => {
    const waits = [1, 2, 3, 4, 5, 6, 20].map((started) => outageWaitMs({ attemptsStarted: started, attemptsMade: 0 }));
    expect(waits).toEqual([2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    // A second attempt (the first failed on the video itself) meeting its first outage.
    expect(outageWaitMs({ attemptsStarted: 2, attemptsMade: 1 })).toBe(2000);
  });

  it('is Postgres, Redis or storage not answering; not the video, not a disk that is full, not a lost lock', () => {
    expect(isOutage(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe(true);
    expect(isOutage(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isOutage(new Error('"a.mp4" is not a video ffmpeg can read'))).toBe(false);
    expect(isOutage(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }))).toBe(false);
    expect(isOutage(new LostJobError('lost its lock', { cause: new Error('Connection is closed.') }))).toBe(false);
  });
});
