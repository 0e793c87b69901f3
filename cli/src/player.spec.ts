import { describe, expect, it } from 'vitest';
import { playerFailed } from './player';

describe('playerFailed', () => {
  it('takes mpv quit by the user (exit 4) as a normal end, and other non-zero codes as failures', () => {
    expect(playerFailed('/usr/bin/mpv', 0)).toBe(false);
    expect(playerFailed('/usr/bin/mpv', 4)).toBe(false);
    expect(playerFailed('/usr/bin/mpv', 2)).toBe(true);
    expect(playerFailed('/usr/bin/vlc', 4)).toBe(true);
    expect(playerFailed('/usr/bin/vlc', 0)).toBe(false);
  });
});
