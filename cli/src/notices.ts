/**
 * Lines the CLI says on stderr while a command runs (why it waits, for one). While an Ink screen
 * is drawn on the terminal, a bare write lands inside its frame and the next frame is drawn over
 * it; the screen takes these lines instead (see NoticesAbove).
 */
type Writer = (text: string) => void;

let writer: Writer = (text) => process.stderr.write(text);

export function sayOnStderr(line: string): void {
  writer(`${line}\n`);
}

/** Sends the notices to `to` until the returned function is called. */
export function routeNotices(to: Writer): () => void {
  const before = writer;
  writer = to;
  return () => {
    if (writer === to) writer = before;
  };
}
