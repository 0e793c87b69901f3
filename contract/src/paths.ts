/**
 * Names and paths of the file tree, the one home of their rules: the gateway validates with them,
 * the CLI and the web UI build and split paths with them. A path is absolute, slash-separated,
 * without a trailing slash; "/" is the root folder. Any Unicode is welcome in a name (stored in NFC, so a name typed
 * on a Mac and on Linux is the same name); what would break paths, URLs or file systems is refused
 * with the rule that was broken.
 */

/** Longest name most file systems accept (ext4, APFS, NTFS count 255 bytes or units). */
export const MAX_NAME_BYTES = 255;

export class InvalidNameError extends Error {
  constructor(
    readonly value: string,
    readonly rule: string,
  ) {
    super(`name "${printable(value)}" is refused: ${rule}`);
    this.name = 'InvalidNameError';
  }
}

export class InvalidPathError extends Error {
  constructor(
    readonly value: string,
    readonly rule: string,
  ) {
    super(`path "${printable(value)}" is refused: ${rule}`);
    this.name = 'InvalidPathError';
  }
}

const utf8 = new TextEncoder();

// C0 and C1 control characters and DEL.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Returns the name in NFC, or throws InvalidNameError naming the rule it breaks. */
export function validateName(raw: string): string {
  const name = raw.normalize('NFC');
  if (name.length === 0) throw new InvalidNameError(raw, 'a name cannot be empty');
  if (name === '.' || name === '..') throw new InvalidNameError(raw, 'a name cannot be "." or ".."');
  if (name.includes('/')) throw new InvalidNameError(raw, 'a name cannot contain "/"');
  if (name.includes('\0')) throw new InvalidNameError(raw, 'a name cannot contain a NUL character');
  if (CONTROL.test(name)) throw new InvalidNameError(raw, 'a name cannot contain control characters');
  const bytes = utf8.encode(name).length;
  if (bytes > MAX_NAME_BYTES) throw new InvalidNameError(raw, `a name can be at most ${MAX_NAME_BYTES} bytes in UTF-8 (this one is ${bytes})`);
  return name;
}

/**
 * "/a/b/", "a//b" and "/a/b" are the same folder; "/" is the root. Every segment must be a valid
 * name, so "..", empty-looking tricks and control characters are refused.
 */
export function parsePath(raw: string): string[] {
  if (typeof raw !== 'string') throw new InvalidPathError(String(raw), 'a path must be text');
  const segments = raw.split('/').filter((s) => s.length > 0);
  return segments.map((segment) => {
    if (segment === '..' || segment === '.') throw new InvalidPathError(raw, 'a path cannot contain "." or ".." segments');
    try {
      return validateName(segment);
    } catch (error) {
      if (error instanceof InvalidNameError) throw new InvalidPathError(raw, error.rule);
      throw error;
    }
  });
}

export function formatPath(segments: readonly string[]): string {
  return `/${segments.join('/')}`;
}

export function normalizePath(raw: string): string {
  return formatPath(parsePath(raw));
}

/** The path of `name` in `folder` (both already normal: this only joins). */
export function joinPath(folder: string, name: string): string {
  return folder === '/' ? `/${name}` : `${folder}/${name}`;
}

/** Made on first use: making it takes about 8 ms, which every CLI command paid as it started. */
let nameCollator: Intl.Collator | undefined;

/**
 * The order names are listed in, by the web page and by nebula ls alike: numbers by their value
 * (clip-2 before clip-10), case and accents aside.
 */
export function compareNames(a: string, b: string): number {
  nameCollator ??= new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  return nameCollator.compare(a, b);
}

/** The folder a normal path lies in ("/" for the root and what lies in it). */
export function parentOf(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}

/** The last segment of a normal path ("" for the root). */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Whether `path` is `folder` itself or lies anywhere below it ("/" holds everything). */
export function isWithin(path: string, folder: string): boolean {
  return folder === '/' || path === folder || path.startsWith(`${folder}/`);
}

/**
 * A path as a person types it ("videos/2026/", "./a.mp4", "//x"): made absolute and normal. "." and
 * empty segments are dropped; ".." is refused rather than guessed at. Names are not judged here:
 * the gateway does that, with the rule, when the path reaches it.
 */
export function normalizeTypedPath(raw: string): string {
  const segments: string[] = [];
  for (const segment of raw.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') throw new InvalidPathError(raw, 'a path cannot contain ".." segments');
    segments.push(segment);
  }
  return formatPath(segments);
}

/**
 * Control characters (C0, DEL, C1) and the bidirectional embeddings, overrides and isolates shown as
 * \uXXXX: text from elsewhere, printed on a terminal, can then neither break its line nor send the
 * terminal an escape sequence, nor show itself reordered (a name that ends "\u202egnp.exe" reads
 * "exe.png"). Names may hold the bidi characters (right-to-left writing needs no override of its own);
 * they are shown, not refused.
 */
export function showControls(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A name or path as one readable line of an error message: controls shown, at most 80 characters. */
function printable(value: string): string {
  const shown = showControls(value);
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
}
