import { describe, expect, it } from 'vitest';
import { deviceToProve, planHwaccel } from './hwaccel-detect';

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

describe('deviceToProve', () => {
  it('probes nothing when the configured render node does not exist (compose names renderD128 on every host)', () => {
    const plan = planHwaccel('auto', [], '/dev/dri/renderD128');
    expect(plan.detail).toBe('render node /dev/dri/renderD128 (NEBULA_HW_DEVICE) does not exist: encoding with libx264 in software');
    expect(deviceToProve(plan, '/dev/dri/renderD128')).toBeNull();
  });
  it('probes nothing when software is asked for', () => {
    expect(deviceToProve(planHwaccel('software', ['/dev/dri/renderD128']), '/dev/dri/renderD128')).toBeNull();
  });
  it('probes the configured node when it exists, else the first one found', () => {
    const devices = ['/dev/dri/renderD128', '/dev/dri/renderD129'];
    expect(deviceToProve(planHwaccel('auto', devices, '/dev/dri/renderD129'), '/dev/dri/renderD129')).toBe('/dev/dri/renderD129');
    expect(deviceToProve(planHwaccel('vaapi', devices), undefined)).toBe('/dev/dri/renderD128');
  });
});
