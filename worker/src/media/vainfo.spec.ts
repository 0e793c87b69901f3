import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encoderLimits, parseVainfo, readEncoderLimits } from './vainfo';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '__fixtures__', name), 'utf8');
const intel = fixture('vainfo-intel-ihd.txt');
const amd = fixture('vainfo-amd-radeonsi.txt');

describe('parseVainfo', () => {
  it('reads the encoders and the largest H.264 picture of an Intel iGPU (iHD, EncSlice and EncSliceLP)', () => {
    expect(parseVainfo(intel)).toEqual({ codecs: ['h264', 'hevc'], h264Max: { width: 4096, height: 4096 } });
  });

  it('reads the encoders of an AMD GPU (radeonsi) whose driver gives no largest picture', () => {
    expect(parseVainfo(amd)).toEqual({ codecs: ['h264', 'hevc'] });
  });

  it('counts only encode entrypoints: decoding VP9 and AV1 is not encoding them, nor is a JPEG encoder', () => {
    const decodeOnly = intel.split('\n').filter((line) => !/EncSlice/.test(line)).join('\n');
    expect(parseVainfo(decodeOnly)).toEqual({ codecs: [] });
  });

  it('takes the size from an H.264 encoder only, not from the decoder or the HEVC encoder', () => {
    const output = [
      'VAProfileH264High/VAEntrypointVLD',
      '    VAConfigAttribMaxPictureWidth          : 8192',
      '    VAConfigAttribMaxPictureHeight         : 8192',
      'VAProfileH264High/VAEntrypointEncSliceLP',
      '    VAConfigAttribMaxPictureWidth          : 4096',
      '    VAConfigAttribMaxPictureHeight         : 2160',
      'VAProfileHEVCMain/VAEntrypointEncSlice',
      '    VAConfigAttribMaxPictureWidth          : 16384',
      '    VAConfigAttribMaxPictureHeight         : 12288',
    ].join('\n');
    expect(parseVainfo(output)).toEqual({ codecs: ['h264', 'hevc'], h264Max: { width: 4096, height: 2160 } });
  });
});

describe('encoderLimits', () => {
  it('advertises what vainfo read', () => {
    expect(encoderLimits('/dev/dri/renderD128', parseVainfo(intel))).toEqual({
      codecs: ['h264', 'hevc'],
      maxWidth: 4096,
      maxHeight: 4096,
      limitsFrom: 'vainfo',
      detail: 'limits from vainfo on /dev/dri/renderD128',
    });
  });

  it('keeps the codecs but assumes the size, and says so, when the driver gives none', () => {
    expect(encoderLimits('/dev/dri/renderD128', parseVainfo(amd))).toEqual({
      codecs: ['h264', 'hevc'],
      maxWidth: 4096,
      maxHeight: 4096,
      limitsFrom: 'assumed',
      detail: 'codecs from vainfo on /dev/dri/renderD128; its driver gives no largest picture for H.264 encoding: assumed 4096x4096',
    });
  });
});

describe('readEncoderLimits', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nebula-vainfo-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const vainfoInstalled = (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, 'vainfo')));
  it.skipIf(vainfoInstalled)('falls back to the assumed limits, saying why, when vainfo is not installed (as on this machine)', async () => {
    expect(await readEncoderLimits('/dev/dri/renderD128')).toEqual({
      codecs: ['h264'],
      maxWidth: 4096,
      maxHeight: 4096,
      limitsFrom: 'assumed',
      detail: "vainfo not found (install the vainfo package to read the device's limits): assumed h264 up to 4096x4096",
    });
  });

  it('falls back when vainfo fails (no driver for the device) or hangs', async () => {
    // Test doubles for a vainfo that fails as it does without a VA driver, and one that hangs.
    const failing = join(dir, 'vainfo-failing');
    await writeFile(failing, '#!/bin/sh\necho "vaInitialize failed with error code -1 (unknown libva error),exit" >&2\nexit 255\n');
    const hanging = join(dir, 'vainfo-hanging');
    await writeFile(hanging, '#!/bin/sh\nexec sleep 30\n');
    await Promise.all([chmod(failing, 0o755), chmod(hanging, 0o755)]);
    expect((await readEncoderLimits('/dev/dri/renderD128', { command: failing })).detail).toBe(
      `${failing} failed on /dev/dri/renderD128 (vaInitialize failed with error code -1 (unknown libva error),exit): assumed h264 up to 4096x4096`,
    );
    const hung = await readEncoderLimits('/dev/dri/renderD128', { command: hanging, timeoutMs: 300 });
    expect(hung).toMatchObject({ limitsFrom: 'assumed', detail: `${hanging} did not answer within 0.3 s on /dev/dri/renderD128: assumed h264 up to 4096x4096` });
  });

  it('runs vainfo on the render node with --all and reads its answer', async () => {
    // Test double: prints its arguments to a file and the Intel fixture as vainfo would.
    const fake = join(dir, 'vainfo-intel');
    await writeFile(fake, `#!/bin/sh\necho "$@" > ${join(dir, 'args')}\ncat ${join(import.meta.dirname, '__fixtures__', 'vainfo-intel-ihd.txt')}\n`);
    await chmod(fake, 0o755);
    expect(await readEncoderLimits('/dev/dri/renderD129', { command: fake })).toMatchObject({ codecs: ['h264', 'hevc'], maxWidth: 4096, maxHeight: 4096, limitsFrom: 'vainfo' });
    expect(readFileSync(join(dir, 'args'), 'utf8').trim()).toBe('--display drm --device /dev/dri/renderD129 --all');
  });
});
