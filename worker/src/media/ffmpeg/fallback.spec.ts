import { describe, expect, it } from 'vitest';
import { jobOf as job, probeOf } from '../__fixtures__/probes';
import { isOutage } from '../job-failures';
import { FallbackExhaustedError, fallbackOrder, hlsCommand, walkFallback } from './fallback';
import { SoftwareBuilder } from './software.builder';
import { VaapiBuilder } from './vaapi.builder';

describe('hlsCommand', () => {
  it('builds any step of a fallback order by its name', () => {
    expect(hlsCommand('software', job('no-audio'))).toEqual(new SoftwareBuilder().command(job('no-audio')));
    expect(hlsCommand('vaapi-sw-decode', job('no-audio'), { device: '/dev/dri/renderD129' })).toEqual(new VaapiBuilder({ device: '/dev/dri/renderD129' }).swDecode(job('no-audio')));
    expect(hlsCommand('qsv-hw-decode', job('no-audio')).name).toBe('qsv-hw-decode');
  });
});

describe('fallbackOrder', () => {
  it('walks from hardware decode to software decode to software', () => {
    expect(fallbackOrder('vaapi')).toEqual(['vaapi-hw-decode', 'vaapi-sw-decode', 'software']);
    expect(fallbackOrder('qsv')).toEqual(['qsv-hw-decode', 'qsv-sw-decode', 'software']);
    expect(fallbackOrder('software')).toEqual(['software']);
  });

  it('leaves out a hardware decode the source cannot use', () => {
    expect(fallbackOrder('vaapi', probeOf('hevc-10bit-hlg'))).toEqual(['vaapi-sw-decode', 'software']);
    expect(fallbackOrder('vaapi', probeOf('hevc-10bit-pq'))).toEqual(['vaapi-hw-decode', 'vaapi-sw-decode', 'software']);
    expect(fallbackOrder('qsv', probeOf('hevc-10bit-pq'))).toEqual(['qsv-sw-decode', 'software']);
  });
});

describe('walkFallback', () => {
  it('returns the first step that works and every step tried', async () => {
    const ran: string[] = [];
    const outcome = await walkFallback(['vaapi-hw-decode', 'vaapi-sw-decode', 'software'], async (path) => {
      ran.push(path);
      if (path === 'vaapi-hw-decode') throw new Error('No VA display found for device /dev/dri/renderD128.');
      return `done by ${path}`;
    });
    expect(outcome).toEqual({
      path: 'vaapi-sw-decode',
      result: 'done by vaapi-sw-decode',
      steps: [{ path: 'vaapi-hw-decode', error: 'No VA display found for device /dev/dri/renderD128.' }, { path: 'vaapi-sw-decode' }],
    });
    expect(ran).toEqual(['vaapi-hw-decode', 'vaapi-sw-decode']);
  });

  it('reports every failure when nothing works', async () => {
    const failing = walkFallback(['qsv-sw-decode', 'software'], async (path) => {
      throw path === 'software' ? 'not an Error' : new Error('device busy');
    });
    await expect(failing).rejects.toThrow(new FallbackExhaustedError([{ path: 'qsv-sw-decode', error: 'device busy' }, { path: 'software', error: 'not an Error' }]));
    await expect(failing).rejects.toThrow('every way of encoding failed: qsv-sw-decode (device busy); software (not an Error)');
  });

  it('stops at an error that is not the step\'s own (Postgres down), and throws it as it is', async () => {
    const ran: string[] = [];
    const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const walk = walkFallback(
      ['vaapi-hw-decode', 'vaapi-sw-decode', 'software'],
      async (path) => {
        ran.push(path);
        throw outage;
      },
      isOutage,
    );
    await expect(walk).rejects.toBe(outage);
    expect(ran).toEqual(['vaapi-hw-decode']);
  });
});
