import { describe, expect, it } from 'vitest';
import { fileSubject, type EventDataMap, type EventType, type MediaJobDto, type NebulaEvent } from '@nebula/contract';
import { describeJob, fitJobs, inScope, JobBoard } from './job-board';

let nextId = 100;
// Only the fields a test is about; the board must cope with the rest missing.
const event = <K extends EventType>(type: K, fileId: string, data: Partial<EventDataMap[K]> = {}): NebulaEvent =>
  ({
    id: String(nextId++),
    type,
    subject: fileSubject(fileId),
    data,
    traceId: null,
    time: '2026-03-01T12:00:00.000Z',
  }) as NebulaEvent;

const queued: MediaJobDto = { fileId: 'f1', path: '/films/clip.mp4', status: 'queued', error: null, progress: null, attempt: 0, updatedAt: '2026-03-01T11:59:00.000Z' };

describe('JobBoard', () => {
  it('follows a job from queued through progress to ready', () => {
    const board = new JobBoard([queued]);
    board.apply(event('media.started', 'f1', { attempt: 1, runId: 'r1', workerId: 'desk:4242' }));
    expect(board.get('f1')).toMatchObject({ status: 'processing', percent: 0, attempt: 1, node: 'desk' });
    expect(describeJob(board.get('f1')!)).toBe('0%  on desk');
    board.apply(event('media.progress', 'f1', { percent: 45.5, fps: 120.4, speed: 4.02, etaSeconds: 12 }));
    expect(describeJob(board.get('f1')!)).toBe('45%  120 fps  4.0x  ETA 12s  on desk');
    board.apply(event('media.playable', 'f1', { hls: '/hls/f1/master.m3u8' }));
    expect(describeJob(board.get('f1')!)).toBe('45%  120 fps  4.0x  ETA 12s  playable  on desk');
    board.apply(event('media.ready', 'f1', { rungs: ['640x360'] }));
    expect(board.get('f1')).toMatchObject({ path: '/films/clip.mp4', status: 'ready', percent: 100, playable: true, error: null });
    expect(describeJob(board.get('f1')!)).toBe('ready');
  });

  it('shows a retry with the reason, and a failure with ffprobe\'s words', () => {
    const board = new JobBoard([queued]);
    board.apply(event('media.started', 'f1', { attempt: 1 }));
    board.apply(event('media.queued', 'f1', { retryOf: 1, reason: 'ffmpeg was killed' }));
    expect(describeJob(board.get('f1')!)).toBe('queued again (attempt 1 failed: ffmpeg was killed)');
    board.apply(event('media.started', 'f1', { attempt: 2 }));
    board.apply(event('media.failed', 'f1', { attempt: 2, reason: 'ffprobe found no video stream in "clip.mp4"' }));
    expect(describeJob(board.get('f1')!)).toBe('failed: ffprobe found no video stream in "clip.mp4"');
  });

  it('learns new files from media.queued, follows moves and forgets deleted files', () => {
    const board = new JobBoard();
    expect(board.apply(event('media.queued', 'f2', { path: '/a/b.mp4' }))).toEqual({ job: expect.objectContaining({ fileId: 'f2', path: '/a/b.mp4', status: 'queued' }) });
    board.apply({ ...event('file.moved', 'x', { from: '/a', to: '/c' }), subject: 'folder:x' });
    expect(board.get('f2')!.path).toBe('/c/b.mp4');
    expect(board.apply(event('file.deleted', 'f2', { path: '/c/b.mp4' }))).toEqual({ removed: 'f2' });
    expect(board.all()).toEqual([]);
    // A job first seen mid-way has no path until the caller looks it up.
    expect(board.apply(event('media.progress', 'f3', { percent: 10 }))).toEqual({ job: expect.objectContaining({ fileId: 'f3', path: '', status: 'processing', percent: 10 }) });
    expect(board.apply(event('folder.created', 'f3'))).toBeNull();
  });

  it('ignores progress that lands after the job finished, or after a retry was queued', () => {
    const board = new JobBoard([queued]);
    board.apply(event('media.started', 'f1', { attempt: 1 }));
    board.apply(event('media.ready', 'f1', { rungs: ['640x360'] }));
    expect(board.apply(event('media.progress', 'f1', { percent: 99, fps: 30 }))).toBeNull();
    expect(board.get('f1')).toMatchObject({ status: 'ready', percent: 100, fps: null });

    board.apply(event('media.started', 'f1', { attempt: 2 }));
    board.apply(event('media.failed', 'f1', { attempt: 2, reason: 'ffmpeg exited with code 1' }));
    expect(board.apply(event('media.progress', 'f1', { percent: 50 }))).toBeNull();
    expect(describeJob(board.get('f1')!)).toBe('failed: ffmpeg exited with code 1');

    board.apply(event('media.queued', 'f1', { retryOf: 2, reason: 'killed' }));
    expect(board.apply(event('media.progress', 'f1', { percent: 60 }))).toBeNull();
    expect(board.get('f1')).toMatchObject({ status: 'queued', percent: null });
  });

  it('shows an audio file that the worker looked at as done, with no ladder', () => {
    const board = new JobBoard([{ ...queued, path: '/music/song.mp4' }]);
    board.apply(event('media.started', 'f1', { attempt: 1 }));
    // What worker/src/media/transcode.service.ts appends for a file without a video stream.
    board.apply(event('media.ready', 'f1', { runId: 'r1', audioOnly: true, rungs: [] }));
    expect(board.get('f1')).toMatchObject({ status: 'none', percent: null, playable: false, attempt: 1 });
    expect(describeJob(board.get('f1')!)).toBe('ready (audio only: no ladder needed)');
    // Seen for the first time at its end, it still reads as looked at.
    expect(new JobBoard().apply(event('media.ready', 'f9', { audioOnly: true }))).toEqual({ job: expect.objectContaining({ status: 'none', attempt: 1 }) });
  });

  it('fits the jobs into the terminal\'s lines, telling how many more there are', () => {
    const jobs = ['a', 'b', 'c', 'd'].map((id) => new JobBoard([{ ...queued, fileId: id }]).get(id)!);
    expect(fitJobs(jobs, 4)).toEqual({ shown: jobs, more: 0 });
    expect(fitJobs(jobs, 3)).toEqual({ shown: jobs.slice(0, 2), more: 2 });
    // Jobs the gateway left out of its list count too, and need their line.
    expect(fitJobs(jobs, 10, 5)).toEqual({ shown: jobs, more: 5 });
    expect(fitJobs(jobs, 4, 5)).toEqual({ shown: jobs.slice(0, 3), more: 6 });
    expect(fitJobs(jobs, 0)).toEqual({ shown: [], more: 4 });
  });

  it('scopes by file or folder path', () => {
    expect(inScope('/films/clip.mp4', '/')).toBe(true);
    expect(inScope('/films/clip.mp4', '/films')).toBe(true);
    expect(inScope('/films/clip.mp4', '/films/clip.mp4')).toBe(true);
    expect(inScope('/filmsx/clip.mp4', '/films')).toBe(false);
  });
});
