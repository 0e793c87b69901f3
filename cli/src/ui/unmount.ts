import type { Instance } from 'ink';

/**
 * Unmounts an Ink screen and waits until its last frame is written. The exit promise must be
 * taken before unmount(): under Bun the terminal's write callback can run during unmount(),
 * and a waitUntilExit() called after that never resolves.
 */
export async function closeScreen(instance: Instance): Promise<void> {
  const exited = instance.waitUntilExit();
  instance.unmount();
  await exited;
}
