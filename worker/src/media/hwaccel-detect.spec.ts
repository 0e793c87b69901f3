import { describe, expect, it } from 'vitest';
import { planHwaccel } from './hwaccel-detect';

describe('planHwaccel', () => {
  it('uses software when asked to', () => {
    expect(planHwaccel('software', ['/dev/dri/renderD128'])).toEqual({
      requested: 'software',
      devices: ['/dev/dri/renderD128'],
      selected: 'software',
      detail: 'hardware acceleration turned off (NEBULA_HWACCEL=software)',
    });
  });
  it('falls back to software, and says why, when there is no render node', () => {
    expect(planHwaccel('auto', [])).toEqual({
      requested: 'auto',
      devices: [],
      selected: 'software',
      detail: 'no GPU render node under /dev/dri: encoding with libx264 in software',
    });
  });
  it('names the configured device as the candidate until a test encode proves it', () => {
    expect(planHwaccel('vaapi', ['/dev/dri/renderD128', '/dev/dri/renderD129'], '/dev/dri/renderD129').detail).toBe(
      'render node /dev/dri/renderD129 found but not yet proven by a test encode: encoding in software',
    );
  });
});
