import contentDisposition from 'content-disposition';

/**
 * Content-Disposition for a file name. The `filename=` part is for clients that do not read RFC
 * 6266's `filename*=UTF-8''...` (curl -OJ, wget, old players): the content-disposition package
 * would put ISO-8859-1 there ("Café" as the byte E9, which they save as `Caf\351`), so we hand it a
 * plain-ASCII name instead: accents dropped, anything else outside printable ASCII as "_".
 */
export function dispositionFor(name: string, type: 'inline' | 'attachment'): string {
  return contentDisposition(name, { type, fallback: asciiFallback(name) });
}

export function asciiFallback(name: string): string {
  const ascii = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\x20-\x7e]/gu, '_');
  return ascii.replace(/["\\]/g, '_');
}
