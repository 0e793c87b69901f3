import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';

// Ink draws only its last frame when it believes it runs in CI (CI, CI_*...), read when it loads:
// this test is about the frames drawn on a terminal, so those variables go before Ink is imported.
// They are put back once Ink is loaded, for whatever else runs in this worker.
const ciVariables = Object.entries(process.env).filter(([key]) => key === 'CI' || key === 'CONTINUOUS_INTEGRATION' || key.startsWith('CI_'));
for (const [key] of ciVariables) delete process.env[key];
const { InkUploadReporter } = await import('./upload-screen');
Object.assign(process.env, Object.fromEntries(ciVariables));
const { sayOnStderr } = await import('../notices');

/** A terminal: what the screen writes on stdout and on stderr, in the order it writes it. */
function fakeTerminal() {
  let text = '';
  const stream = () => {
    const s = Object.assign(new PassThrough(), { isTTY: true, columns: 100, rows: 30 }) as unknown as NodeJS.WriteStream;
    s.on('data', (chunk: Buffer) => (text += chunk.toString()));
    return s;
  };
  return { stdout: stream(), stderr: stream(), text: () => text };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

describe('notices while the upload screen is drawn', () => {
  let screen: InstanceType<typeof InkUploadReporter> | undefined;
  afterEach(async () => {
    await screen?.finish();
    screen = undefined;
  });

  it('a wait notice is written on a line of its own above the screen, which is drawn again below it', async () => {
    const terminal = fakeTerminal();
    screen = new InkUploadReporter(false, terminal);
    screen.emit({ event: 'plan', files: 2, bytes: 2048, to: '/films' });
    screen.emit({ event: 'progress', file: 'a.mp4', bytes: 512, total: 1024 });
    await settle();
    const before = terminal.text().length;
    expect(terminal.text()).toContain('total, 0/2 files');

    sayOnStderr('nebula: the database is not answering right now (database_unavailable); asking again in 1 s');
    await settle();
    const after = terminal.text().slice(before);
    const at = after.indexOf('nebula: the database');
    // Before: the line went straight to the process's stderr, into the middle of the frame, and
    // the next frame was drawn over it.
    expect(at, JSON.stringify(after)).toBeGreaterThanOrEqual(0);
    // Ink erased its frame first (the cursor back in the first column), and drew it again after.
    expect(after.slice(0, at).endsWith('\u001b[G'), JSON.stringify(after)).toBe(true);
    expect(after.slice(at)).toMatch(/asking again in 1 s\n[^]*total, 0\/2 files/);
  });
});
