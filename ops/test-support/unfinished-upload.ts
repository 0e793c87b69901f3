import { readFile } from 'node:fs/promises';

/**
 * What another device left behind: the first `sent` bytes of `file` uploaded with raw tus requests
 * to `<server>` as `folder/name`, declaring its sha256, as `user` (none: no tailnet identity).
 * Returns the unfinished upload's URL; throws when the server does not take it.
 */
export async function abandonUpload(
  server: string,
  { file, folder, name, sent, sha256, user }: { file: string; folder: string; name: string; sent: number; sha256: string; user?: string },
): Promise<string> {
  const bytes = await readFile(file);
  const b64 = (value: string) => Buffer.from(value).toString('base64');
  const identity: Record<string, string> = user ? { 'Tailscale-User-Login': user } : {};
  const created = await fetch(`${server}/api/uploads`, {
    method: 'POST',
    headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': String(bytes.length), 'Upload-Metadata': `filename ${b64(name)},folder ${b64(folder)},sha256 ${b64(sha256)}`, ...identity },
  });
  if (created.status !== 201) throw new Error(`creating ${folder}/${name}: ${created.status} ${await created.text()}`);
  const url = new URL(created.headers.get('location')!, server).toString();
  const patched = await fetch(url, {
    method: 'PATCH',
    headers: { 'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream', ...identity },
    body: bytes.subarray(0, sent),
  });
  if (patched.status !== 204) throw new Error(`sending the first ${sent} bytes of ${folder}/${name}: ${patched.status} ${await patched.text()}`);
  return url;
}
