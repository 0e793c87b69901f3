import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { joinRefusal, NEBULA_VERSION, placeMediaJob, type NodeAdvert, type NodeCapabilities } from '@nebula/contract';

const software: NodeCapabilities = { software: true, hardware: null, cores: 2 };
const vaapi: NodeCapabilities = { software: true, hardware: { kind: 'vaapi', codecs: ['h264', 'hevc'], maxWidth: 4096, maxHeight: 4096, limitsFrom: 'vainfo' }, cores: 8 };
const node = (id: string, capabilities: NodeCapabilities): NodeAdvert => ({ id, name: id, version: NEBULA_VERSION, capabilities, jobs: [], startedAt: '', lastHeartbeat: '' });

const uhd = { width: 3840, height: 2160, codec: 'h264', bitDepth: 8 };
const hd = { width: 1920, height: 1080, codec: 'h264', bitDepth: 8 };
const hevc10 = { width: 1920, height: 1080, codec: 'hevc', bitDepth: 10 };

describe('placeMediaJob', () => {
  it('moves a 4K or 10-bit HEVC job off a software node while a hardware node is up', () => {
    expect(placeMediaJob(uhd, software, [node('desk', vaapi)])).toBe('hardware');
    expect(placeMediaJob({ ...uhd, width: 2160, height: 3840 }, software, [node('desk', vaapi)])).toBe('hardware');
    expect(placeMediaJob(hevc10, software, [node('desk', vaapi)])).toBe('hardware');
  });

  it('needs only an H.264 encoder for a 10-bit HEVC source: it is decoded there, the ladder is H.264', () => {
    const h264Only = { ...vaapi, hardware: { ...vaapi.hardware!, codecs: ['h264'] } };
    expect(placeMediaJob(hevc10, software, [node('nuc', h264Only)])).toBe('hardware');
    const noH264 = { ...vaapi, hardware: { ...vaapi.hardware!, codecs: ['hevc', 'av1'] } };
    expect(placeMediaJob(hevc10, software, [node('arc', noH264)])).toBe('here');
    expect(placeMediaJob(uhd, software, [node('arc', noH264)])).toBe('here');
  });

  it('keeps it in software when no hardware node is up, or none fits it', () => {
    expect(placeMediaJob(uhd, software, [node('cupboard', software)])).toBe('here');
    const small = { ...vaapi, hardware: { ...vaapi.hardware!, maxWidth: 1920, maxHeight: 1088 } };
    expect(placeMediaJob(uhd, software, [node('nuc', small)])).toBe('here');
  });

  it('keeps light jobs, audio, and anything a hardware node probed where they are', () => {
    expect(placeMediaJob(hd, software, [node('desk', vaapi)])).toBe('here');
    expect(placeMediaJob(undefined, software, [node('desk', vaapi)])).toBe('here');
    expect(placeMediaJob(uhd, vaapi, [node('desk2', vaapi)])).toBe('here');
  });
});

describe('joinRefusal', () => {
  it('lets a node of the same release with a close clock in', () => {
    expect(joinRefusal({ version: '0.1.0', nowMs: 1_000_000 }, { version: '0.1.0', nowMs: 1_004_000 })).toBeNull();
  });

  it('refuses another version, saying both', () => {
    expect(joinRefusal({ version: '0.1.0', nowMs: 0 }, { version: '0.2.0', nowMs: 0 })).toBe(
      'this worker is version 0.1.0 but the server runs 0.2.0: install the same release on this machine (git pull, npm ci) and start it again',
    );
  });

  it('refuses a clock more than 10 s off, saying by how much and which way', () => {
    expect(joinRefusal({ version: '0.1.0', nowMs: 100_000 }, { version: '0.1.0', nowMs: 40_000 })).toBe(
      "this machine's clock is 60 s ahead of the server's (more than 10 s): job locks and heartbeats need the same time; turn on NTP (timedatectl set-ntp true) and start it again",
    );
    expect(joinRefusal({ version: '0.1.0', nowMs: 0 }, { version: null, nowMs: 12_000 })).toMatch(/12 s behind/);
  });

  it('NEBULA_VERSION is the release in package.json', () => {
    const root = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(NEBULA_VERSION).toBe(root.version);
  });
});
