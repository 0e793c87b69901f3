import { describe, expect, it } from 'vitest';
import { S3StorageError } from '@nebula/shared/storage';
import { describeOutage, isOutage, LostJobError, outageWaitMs, outlastOutage } from './job-failures';

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
    // Object storage busy is an outage; object storage refusing the keys is not: waiting would not end.
    expect(isOutage(new S3StorageError('http://minio:9000', 'nebula', 'read "a"', 'SlowDown', undefined, 503))).toBe(true);
    expect(isOutage(new S3StorageError('http://minio:9000', 'nebula', 'read "a"', 'SignatureDoesNotMatch', undefined, 403))).toBe(false);
  });

  it('is logged as the part that is down, in the gateway\'s words, then the driver\'s message', () => {
    expect(describeOutage(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe('the database (Postgres) is not answering right now (the database system is starting up)');
  });

  describe('after its encode (outlastOutage)', () => {
    const postgresDown = () => Object.assign(new Error('the database system is starting up'), { code: '57P03' });

    it('runs the step again, waits doubling, until the part is back; the step is not given up', async () => {
      const waits: number[] = [];
      let calls = 0;
      const result = await outlastOutage(
        async () => {
          calls++;
          if (calls < 4) throw postgresDown();
          return 'ready';
        },
        { signal: new AbortController().signal, onWait: (_e, ms) => waits.push(ms), firstWaitMs: 5 },
      );
      expect(result).toBe('ready');
      expect(calls).toBe(4);
      expect(waits).toEqual([5, 10, 20]);
    });

    it('hands any other failure up at once', async () => {
      let calls = 0;
      const bad = new Error('"a.mp4" is not a video ffmpeg can read');
      await expect(
        outlastOutage(
          async () => {
            calls++;
            throw bad;
          },
          { signal: new AbortController().signal, onWait: () => undefined, firstWaitMs: 5 },
        ),
      ).rejects.toBe(bad);
      expect(calls).toBe(1);
    });

    it('gives the outage up once its budget is spent', async () => {
      let calls = 0;
      const started = Date.now();
      await expect(
        outlastOutage(
          async () => {
            calls++;
            throw postgresDown();
          },
          { signal: new AbortController().signal, onWait: () => undefined, firstWaitMs: 20, budgetMs: 100 },
        ),
      ).rejects.toThrow('starting up');
      // 20 + 40 ms waited; a third wait (80 ms) would end past the budget.
      expect(calls).toBe(3);
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('ends the wait with the reason of a stop (a delete, a lost lock)', async () => {
      const stop = new AbortController();
      const lost = new LostJobError('lost its lock');
      const run = outlastOutage(
        async () => {
          throw postgresDown();
        },
        { signal: stop.signal, onWait: () => setTimeout(() => stop.abort(lost), 10), firstWaitMs: 60_000 },
      );
      await expect(run).rejects.toBe(lost);
    });
  });
});
