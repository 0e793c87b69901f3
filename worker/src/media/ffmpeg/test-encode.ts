import { COMMON_ARGS, DEFAULT_RENDER_NODE, type EncoderKind } from './common';

/**
 * The one-frame encode `NEBULA_HWACCEL=auto` runs at worker start: a device is used only once it
 * has encoded a frame, since a render node can exist without a working driver.
 */
export function testEncodeArgs(kind: EncoderKind, device: string = DEFAULT_RENDER_NODE): string[] {
  const source = ['-f', 'lavfi', '-i', 'testsrc2=size=256x144:rate=25', '-frames:v', '1'];
  const sink = ['-f', 'null', '-'];
  switch (kind) {
    case 'software':
      return [...COMMON_ARGS, ...source, '-vf', 'format=yuv420p', '-c:v', 'libx264', ...sink];
    case 'vaapi':
      return [...COMMON_ARGS, '-init_hw_device', `vaapi=va:${device}`, '-filter_hw_device', 'va', ...source, '-vf', 'format=nv12,hwupload', '-c:v', 'h264_vaapi', ...sink];
    case 'qsv':
      return [
        ...COMMON_ARGS,
        '-init_hw_device',
        `vaapi=va:${device}`,
        '-init_hw_device',
        'qsv=qs@va',
        '-filter_hw_device',
        'qs',
        ...source,
        '-vf',
        'format=nv12,hwupload=extra_hw_frames=64,format=qsv',
        '-c:v',
        'h264_qsv',
        ...sink,
      ];
  }
}
