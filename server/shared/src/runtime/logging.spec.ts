import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { bootTraceId, createLogger, PinoNestLogger, runWithTrace } from './logging';

function capture(level: 'info' | 'debug' = 'info') {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const pino = createLogger('worker', level, sink);
  return { pino, nest: new PinoNestLogger(pino), lines };
}

describe('structured logs', () => {
  it('writes one JSON object per line with a level label, ISO time, service and the boot trace outside any request', () => {
    const { pino, lines } = capture();
    pino.info('starting');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', service: 'worker', msg: 'starting', traceId: bootTraceId, pid: process.pid });
    expect(String(lines[0]!.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(bootTraceId).toMatch(/^[\da-f]{32}$/);
  });

  it('carries the trace, file and job of the work being done, through awaits, and only there', async () => {
    const { nest, lines } = capture();
    const trace = { traceId: 'ab'.repeat(16), fileId: 'f-1', jobId: '7' };
    await runWithTrace(trace, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      nest.log('encoding', 'transcode');
    });
    nest.warn('idle', 'media');
    expect(lines[0]).toMatchObject({ ...trace, context: 'transcode', level: 'info', msg: 'encoding' });
    expect(lines[1]).toMatchObject({ traceId: bootTraceId, context: 'media', level: 'warn', msg: 'idle' });
    expect(lines[1]).not.toHaveProperty('fileId');
  });

  it("maps Nest's calls: error with a stack, Error objects, verbose as trace, and start-up chatter as debug", () => {
    const { nest, lines } = capture('debug');
    nest.error('upload failed', 'Error: boom\n    at x', 'uploads');
    nest.error(new Error('disk full'), undefined, 'storage');
    nest.log('Mapped {/api/health, GET} route', 'RouterExplorer');
    nest.verbose('not shown at debug', 'x');
    nest.error('no context given', 'Error: lost\n    at y');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({ level: 'error', context: 'uploads', msg: 'upload failed', stack: 'Error: boom\n    at x' });
    expect(lines[1]).toMatchObject({ level: 'error', context: 'storage', msg: 'disk full', err: { message: 'disk full', type: 'Error' } });
    expect(lines[2]).toMatchObject({ level: 'debug', context: 'RouterExplorer' });
    expect(lines[3]).toMatchObject({ level: 'error', msg: 'no context given', stack: 'Error: lost\n    at y' });
    expect(lines[3]).not.toHaveProperty('context');
  });
});
