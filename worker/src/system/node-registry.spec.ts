import { describe, expect, it } from 'vitest';
import type { HwaccelReport } from '@nebula/contract';
import { encoderLimits, parseVainfo, assumedLimits } from '../media/vainfo';
import { advertisedHardware, describeCapabilities } from './node-registry.service';

const proven: HwaccelReport = { requested: 'auto', devices: ['/dev/dri/renderD128'], selected: 'vaapi', detail: 'vaapi on /dev/dri/renderD128 passed a test encode' };
const vainfoLines = [
  'VAProfileH264High/VAEntrypointEncSliceLP',
  '    VAConfigAttribMaxPictureWidth          : 4096',
  '    VAConfigAttribMaxPictureHeight         : 2304',
  'VAProfileAV1Profile0/VAEntrypointEncSliceLP',
].join('\n');

describe('advertisedHardware', () => {
  it('advertises the codecs and the H.264 size the device reported', () => {
    const hardware = advertisedHardware(proven, encoderLimits('/dev/dri/renderD128', parseVainfo(vainfoLines)));
    expect(hardware).toEqual({ kind: 'vaapi', codecs: ['h264', 'av1'], maxWidth: 4096, maxHeight: 2304, limitsFrom: 'vainfo' });
    expect(describeCapabilities({ software: true, hardware, cores: 8 })).toBe('software, vaapi h264/av1 up to 4096x2304, 8 cores');
  });

  it('says the limits are assumed when vainfo could not read them', () => {
    const hardware = advertisedHardware({ ...proven, selected: 'qsv' }, assumedLimits('vainfo not found'));
    expect(hardware).toEqual({ kind: 'qsv', codecs: ['h264'], maxWidth: 4096, maxHeight: 4096, limitsFrom: 'assumed' });
    expect(describeCapabilities({ software: true, hardware, cores: 4 })).toBe('software, qsv h264 up to 4096x4096 (assumed), 4 cores');
  });

  it('advertises nothing on a software node, and a simulated encoder as assumed', () => {
    expect(advertisedHardware({ ...proven, selected: 'software' }, null)).toBeNull();
    expect(advertisedHardware({ ...proven, selected: 'software' }, null, 'vaapi')).toEqual({ kind: 'vaapi', codecs: ['h264'], maxWidth: 4096, maxHeight: 4096, limitsFrom: 'assumed', simulated: true });
  });
});
