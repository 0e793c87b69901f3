import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { restartDelayMs, Restarts } from './restarts';

describe('restartDelayMs', () => {
  it('doubles from 1 s up to 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 40].map(restartDelayMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });
});

describe('Restarts', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('restarts after the backoff, says so, backs off further on crashes in a row, and starts over after a stable minute', async () => {
    const lines: string[] = [];
    let starts = 0;
    const restarts = new Restarts('worker', async () => void starts++, (line) => lines.push(line));

    restarts.crashed('SIGKILL');
    restarts.crashed('SIGKILL'); // the same crash reported twice: one restart
    await vi.advanceTimersByTimeAsync(999);
    expect(starts).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(starts).toBe(1);
    restarts.crashed('exit 1');
    await vi.advanceTimersByTimeAsync(2000);
    expect(starts).toBe(2);
    await vi.advanceTimersByTimeAsync(60_000);
    restarts.crashed('SIGKILL');
    await vi.advanceTimersByTimeAsync(1000);
    expect(starts).toBe(3);
    expect(lines).toEqual([
      'the worker stopped unexpectedly (SIGKILL); restarting it in 1 s (restart 1 in a row)',
      'the worker is running again',
      'the worker stopped unexpectedly (exit 1); restarting it in 2 s (restart 2 in a row)',
      'the worker is running again',
      'the worker stopped unexpectedly (SIGKILL); restarting it in 1 s (restart 1 in a row)',
      'the worker is running again',
    ]);
  });

  it('retries a restart that fails, and stops for good when cancelled', async () => {
    const lines: string[] = [];
    let attempts = 0;
    const restarts = new Restarts('postgres', async () => {
      attempts++;
      throw new Error('pg_ctl failed\nlots of detail');
    }, (line) => lines.push(line));
    restarts.crashed('its postmaster is gone');
    await vi.advanceTimersByTimeAsync(1000 + 2000);
    expect(attempts).toBe(2);
    expect(lines[1]).toBe('the postgres stopped unexpectedly (its restart failed: pg_ctl failed); restarting it in 2 s (restart 2 in a row)');
    restarts.cancel();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(attempts).toBe(2);
  });
});
