import { describe, expect, it } from 'vitest';
import { type NodeAdvert } from '@nebula/contract';
import { nodeRow } from './nodes';

const node: NodeAdvert = {
  id: 'desk:4242',
  name: 'desk',
  version: '0.1.0',
  capabilities: { software: true, hardware: { kind: 'vaapi', codecs: ['h264', 'hevc'], maxWidth: 4096, maxHeight: 4096, limitsFrom: 'vainfo' }, cores: 8 },
  jobs: [{ jobId: 'transcode-f1-1-hw', fileId: 'f1', queue: 'media-hw' }],
  startedAt: '2026-12-03T08:00:00.000Z',
  lastHeartbeat: '2026-12-03T08:10:00.000Z',
};

describe('nebula nodes', () => {
  it('shows a node as name, capabilities, current job, heartbeat age and version', () => {
    expect(nodeRow(node, Date.parse('2026-12-03T08:10:03.400Z'))).toEqual({
      name: 'desk',
      capabilities: 'software, vaapi h264/hevc ≤4096x4096, 8 cores',
      job: 'transcode-f1-1-hw (media-hw)',
      heartbeat: '3 s ago',
      version: '0.1.0',
    });
  });

  it('says idle, no hardware, and marks a simulated encoder and assumed limits', () => {
    const row = nodeRow({ ...node, jobs: [], capabilities: { software: true, hardware: null, cores: 2 } }, Date.parse(node.lastHeartbeat));
    expect(row).toMatchObject({ capabilities: 'software, none, 2 cores', job: 'idle', heartbeat: '0 s ago' });
    const simulated = nodeRow({ ...node, capabilities: { ...node.capabilities, hardware: { ...node.capabilities.hardware!, codecs: ['h264'], limitsFrom: 'assumed', simulated: true } } }, Date.parse(node.lastHeartbeat));
    expect(simulated.capabilities).toBe('software, vaapi (simulated) h264 ≤4096x4096 (assumed), 8 cores');
  });
});
