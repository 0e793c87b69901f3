import { describe, expect, it } from 'vitest';
import { failureReason, verdictFor } from './media-reconciler';
import type { FailedTranscode } from './media-jobs';
import type { StuckVideo } from './media-state.repository';

const video: StuckVideo = { id: 'f1', name: 'clip.mp4', mediaStatus: 'processing', updatedAt: new Date(10_000), version: '10000000' };
const failed = (finishedAt: number, reason = 'job stalled more than allowable limit'): Map<string, FailedTranscode> => new Map([['f1', { fileId: 'f1', reason, finishedAt }]]);

describe('verdictFor', () => {
  it('leaves a video with a waiting, delayed or running job alone', () => {
    expect(verdictFor(video, new Set(['f1']), failed(20_000))).toEqual({ action: 'none' });
  });

  it('queues again a video that has no job at all (Redis was down at upload, or lost it)', () => {
    expect(verdictFor({ ...video, mediaStatus: 'queued' }, new Set(['other']), new Map())).toEqual({ action: 'requeue' });
  });

  it('records a failure the worker could not record: a failed job newer than the last state change', () => {
    expect(verdictFor(video, new Set(), failed(20_000))).toEqual({
      action: 'fail',
      reason: 'the worker stopped (killed or crashed) during every attempt of this transcode; replay the upload to try again',
    });
  });

  it('queues again when the only failed job is older than the state (a replay since, whose job was lost)', () => {
    expect(verdictFor(video, new Set(), failed(5_000))).toEqual({ action: 'requeue' });
  });
});

describe('failureReason', () => {
  it('keeps the job reason but hides internal addresses', () => {
    expect(failureReason('connect ECONNREFUSED 127.0.0.1:5432')).toBe('the transcode failed and the worker could not record why at the time: connect ECONNREFUSED <internal address>');
    expect(failureReason('connect ECONNREFUSED [::1]:6379')).toBe('the transcode failed and the worker could not record why at the time: connect ECONNREFUSED <internal address>');
  });
});
