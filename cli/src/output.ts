/**
 * How a command talks to the user: Ink screens and plain sentences on a terminal; one JSON
 * object per line when stdout is not a terminal or with --json, so scripts can read it.
 */
export interface Output {
  json: boolean;
  /** Colours only on a terminal and never when NO_COLOR is set (https://no-color.org). */
  color: boolean;
  /** Writes one line to stdout: an object as JSON in json mode, else the text. */
  line(text: string, json?: object): void;
  /** Writes one JSON line in json mode; nothing otherwise. */
  event(json: object): void;
}

export function createOutput(options: { json?: boolean }, stdout: NodeJS.WriteStream = process.stdout, env = process.env): Output {
  const json = Boolean(options.json) || !stdout.isTTY;
  const color = !json && stdout.isTTY === true && !env.NO_COLOR;
  const write = (text: string) => void stdout.write(`${text}\n`);
  return {
    json,
    color,
    line: (text, object) => (json ? object && write(JSON.stringify(object)) : write(text)),
    event: (object) => {
      if (json) write(JSON.stringify(object));
    },
  };
}
