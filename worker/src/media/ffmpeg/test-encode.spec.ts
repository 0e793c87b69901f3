import { describe, expect, it } from 'vitest';
import { testEncodeArgs } from './test-encode';

describe('testEncodeArgs', () => {
  const source = ['-f', 'lavfi', '-i', 'testsrc2=size=256x144:rate=25', '-frames:v', '1'];
  const common = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'];

  it('encodes one frame on the device and throws it away', () => {
    expect(testEncodeArgs('vaapi', '/dev/dri/renderD129')).toEqual([
      ...common, '-init_hw_device', 'vaapi=va:/dev/dri/renderD129', '-filter_hw_device', 'va',
      ...source, '-vf', 'format=nv12,hwupload', '-c:v', 'h264_vaapi', '-f', 'null', '-',
    ]);
    expect(testEncodeArgs('qsv')).toEqual([
      ...common, '-init_hw_device', 'vaapi=va:/dev/dri/renderD128', '-init_hw_device', 'qsv=qs@va', '-filter_hw_device', 'qs',
      ...source, '-vf', 'format=nv12,hwupload=extra_hw_frames=64,format=qsv', '-c:v', 'h264_qsv', '-f', 'null', '-',
    ]);
    expect(testEncodeArgs('software')).toEqual([...common, ...source, '-vf', 'format=yuv420p', '-c:v', 'libx264', '-f', 'null', '-']);
  });
});
