import { execFile } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntryDto, MediaDetails } from '@nebula/contract';
import { startNebula, type RunningNebula } from '../test-support/nebula-process';
import { tempDir } from '../test-support/services';

const exec = promisify(execFile);
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

/** The value of a Prometheus sample (summed over series) whose labels include `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}(?:\\{(.*)\\})? (\\S+)$`).exec(line);
    if (!match) continue;
    const found = Object.fromEntries([...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) total = (total ?? 0) + Number(match[2]);
  }
  return total;
}

/** Each JSON log line the gateway and worker wrote, with the process it came from. */
function logLines(output: string): { service: string; raw: string; entry: Record<string, unknown> | null }[] {
  const lines: { service: string; raw: string; entry: Record<string, unknown> | null }[] = [];
  // nebula-process prefixes each chunk it reads with [gateway] or [worker]; a chunk may end mid-line.
  let service = 'gateway';
  for (const raw of output.split('\n')) {
    const prefix = /^\[(gateway|worker)\] /.exec(raw);
    if (prefix) service = prefix[1]!;
    const line = raw.replace(/\[(gateway|worker)\] /g, '').trim();
    if (!line) continue;
    let entry: Record<string, unknown> | null;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      entry = null;
    }
    lines.push({ service, raw: line, entry });
  }
  return lines;
}

describe('logs and metrics of the real gateway and worker', () => {
  let nebula: RunningNebula;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let file: EntryDto;

  beforeAll(async () => {
    [nebula, dir] = await Promise.all([startNebula({ env: { NEBULA_LOG_LEVEL: 'debug' } }), tempDir()]);
    const video = join(dir.path, 'clip.mp4');
    await exec('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=2', '-f', 'lavfi', '-i', 'sine=duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', video]);
    // The whole upload is sent under one W3C trace, as a tracing proxy or client would.
    await new Promise<void>((resolve, reject) => {
      new tus.Upload(createReadStream(video), {
        endpoint: `${nebula.url}/api/uploads`,
        uploadSize: statSync(video).size,
        chunkSize: 64 * 1024 * 1024,
        metadata: { filename: 'clip.mp4' },
        headers: { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` },
        onError: reject,
        onSuccess: () => resolve(),
      }).start();
    });
    file = (await (await fetch(`${nebula.url}/api/files/lookup?path=/clip.mp4`)).json()) as EntryDto;
    const deadline = Date.now() + 120_000;
    let status = '';
    while (status !== 'ready' && status !== 'failed' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = ((await (await fetch(`${nebula.url}/api/files/${file.id}/media`)).json()) as MediaDetails).status;
    }
    if (status !== 'ready') throw new Error(`the clip ended "${status}", not ready:\n${nebula.output()}`);
  });

  afterAll(async () => {
    await nebula?.stop();
    await dir?.remove();
  });

  it('writes only JSON lines, each with a level, time, service and a trace id', () => {
    const lines = logLines(nebula.output());
    expect(lines.length).toBeGreaterThan(10);
    for (const { raw, entry } of lines) {
      expect(entry, `not a JSON log line: ${raw}`).not.toBeNull();
      expect(entry).toMatchObject({ level: expect.any(String), time: expect.any(String), msg: expect.any(String) });
      expect(String(entry!.traceId), raw).toMatch(/^[\da-f]{32}$/);
      expect(['gateway', 'worker']).toContain(entry!.service);
    }
  });

  it("follows one upload's trace id from the gateway's request lines into the worker's job and ffmpeg lines", () => {
    const traced = logLines(nebula.output()).filter((l) => l.entry?.traceId === TRACE);
    const gateway = traced.filter((l) => l.entry!.service === 'gateway');
    const worker = traced.filter((l) => l.entry!.service === 'worker');
    expect(gateway.some((l) => l.entry!.context === 'http' && l.entry!.method === 'POST' && l.entry!.status === 201)).toBe(true);
    expect(worker.some((l) => l.entry!.context === 'transcode' && String(l.entry!.msg).includes('ready'))).toBe(true);
    expect(worker.some((l) => l.entry!.context === 'ffmpeg' && String(l.entry!.msg).startsWith('ffmpeg started: ffmpeg'))).toBe(true);
    expect(worker.every((l) => l.entry!.fileId === file.id)).toBe(true);
  });

  it('echoes the trace id to the caller, and starts a new one for a request that brings none', async () => {
    const traced = await fetch(`${nebula.url}/api/health`, { headers: { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` } });
    expect(traced.headers.get('x-trace-id')).toBe(TRACE);
    const fresh = await fetch(`${nebula.url}/api/health`);
    expect(fresh.headers.get('x-trace-id')).toMatch(/^[\da-f]{32}$/);
    expect(fresh.headers.get('x-trace-id')).not.toBe(TRACE);
  });

  it('serves gateway metrics on their own port: requests by route pattern, upload bytes, queue depth', async () => {
    await fetch(`${nebula.url}/api/files/${file.id}/media`);
    const text = await (await fetch(nebula.metrics.gateway)).text();
    expect(sample(text, 'nebula_http_requests_total', { method: 'GET', route: '/api/files/:id/media', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'nebula_http_request_duration_seconds_count', { route: '/api/files/:id/media' })).toBeGreaterThanOrEqual(1);
    // One series per route, never per file: the id never becomes a label value.
    expect(text).not.toContain(file.id);
    expect(sample(text, 'nebula_upload_bytes_total')).toBe(file.size);
    expect(sample(text, 'nebula_uploads_active')).toBe(0);
    expect(sample(text, 'nebula_queue_jobs', { queue: 'media', state: 'completed' })).toBe(1);
    expect(sample(text, 'process_resident_memory_bytes', { service: 'gateway' })).toBeGreaterThan(0);
    // The gateway's own port (the one behind the tailnet guard) does not serve them.
    expect(await (await fetch(`${nebula.url}/metrics`)).text()).not.toContain('nebula_http_requests_total');
  });

  it('serves worker metrics: jobs by outcome and acceleration path, duration and encode speed', async () => {
    const text = await (await fetch(nebula.metrics.worker)).text();
    expect(sample(text, 'nebula_transcode_jobs_total', { outcome: 'ready', accel: 'software' })).toBe(1);
    expect(sample(text, 'nebula_transcode_duration_seconds_count', { accel: 'software' })).toBe(1);
    expect(sample(text, 'nebula_encode_speed')).toBeGreaterThan(0);
  });
});
