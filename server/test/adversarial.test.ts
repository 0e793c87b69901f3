import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntryDto, NebulaEvent } from '@nebula/contract';
import { startTestGateway, type TestGateway } from './gateway';
import { raw, type RawResponse } from './raw-http';

/**
 * The bad-input table: requests an attacker or a broken client sends, against the real gateway on
 * real Postgres and Redis. Every row must get a 4xx with a JSON `code` and `message` (never a
 * 5xx), and leave no trace: the database rows, the event log, the stored objects and tus' records
 * are compared before and after each row.
 */

const TUS = { 'Tus-Resumable': '1.0.0' };
const JSON_TYPE = { 'Content-Type': 'application/json' };
const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
const meta = (name: string | Buffer, extra = '') => `filename ${b64(name)}${extra}`;

/** What the fixture holds: a folder, a finished file, an unfinished upload, a finished video. */
interface Fixture {
  folderId: string;
  fileId: string;
  unfinishedId: string;
  videoId: string;
  folderEventId: number;
}

interface Row {
  name: string;
  method: string;
  path: (f: Fixture) => string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** A specific status, when the protocol says which. Otherwise any 4xx. */
  status?: number;
}

const created = (f: Fixture) => `/api/uploads/${f.unfinishedId}`;
const huge = 'x'.repeat(2 * 1024 * 1024);

const rows: Row[] = [
  // ---- tus header misuse -----------------------------------------------------------------------
  { name: 'creation without Tus-Resumable', method: 'POST', path: () => '/api/uploads', headers: { 'Upload-Length': '5', 'Upload-Metadata': meta('a.bin') }, status: 412 },
  { name: 'creation with Tus-Resumable 0.2.2', method: 'POST', path: () => '/api/uploads', headers: { 'Tus-Resumable': '0.2.2', 'Upload-Length': '5', 'Upload-Metadata': meta('a.bin') } },
  { name: 'creation without Upload-Length or Upload-Defer-Length', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Metadata': meta('a.bin') }, status: 400 },
  { name: 'creation with both Upload-Length and Upload-Defer-Length', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '5', 'Upload-Defer-Length': '1', 'Upload-Metadata': meta('a.bin') }, status: 400 },
  { name: 'Upload-Length -1', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '-1', 'Upload-Metadata': meta('a.bin') }, status: 400 },
  { name: 'Upload-Length 1e18 (not a whole number)', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '1e18', 'Upload-Metadata': meta('a.bin') }, status: 400 },
  { name: 'Upload-Length 10^18 (over the limit)', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '1000000000000000000', 'Upload-Metadata': meta('a.bin') }, status: 413 },
  { name: 'Upload-Length 2^64', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '18446744073709551616', 'Upload-Metadata': meta('a.bin') } },
  { name: 'Upload-Length not a number', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': 'lots', 'Upload-Metadata': meta('a.bin') }, status: 400 },
  { name: 'Upload-Defer-Length 2', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Defer-Length': '2', 'Upload-Metadata': meta('a.bin') }, status: 400 },
  { name: 'Upload-Metadata that is not base64 pairs', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '5', 'Upload-Metadata': 'filename this is not base64!!' }, status: 400 },
  { name: 'Upload-Metadata with a key twice', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '5', 'Upload-Metadata': `${meta('a.bin')},filename ${b64('b.bin')}` }, status: 400 },
  { name: 'Upload-Metadata without a file name', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '5', 'Upload-Metadata': `folder ${b64('/docs')}` }, status: 400 },
  { name: 'sha256 metadata that is not 64 hex digits', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '5', 'Upload-Metadata': meta('a.bin', `,sha256 ${b64('abc')}`) }, status: 400 },
  { name: 'Upload-Concat (not offered)', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Concat': 'partial', 'Upload-Length': '5', 'Upload-Metadata': meta('a.bin') }, status: 400 },
  { name: 'creation-with-upload body longer than Upload-Length', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '2', 'Upload-Metadata': meta('c.bin'), 'Content-Type': 'application/offset+octet-stream' }, body: 'too long', status: 413 },
  { name: 'PATCH at the wrong offset', method: 'PATCH', path: created, headers: { ...TUS, 'Upload-Offset': '3', 'Content-Type': 'application/offset+octet-stream' }, body: 'abc', status: 409 },
  { name: 'PATCH without Upload-Offset', method: 'PATCH', path: created, headers: { ...TUS, 'Content-Type': 'application/offset+octet-stream' }, body: 'abc' },
  { name: 'PATCH with Upload-Offset -5', method: 'PATCH', path: created, headers: { ...TUS, 'Upload-Offset': '-5', 'Content-Type': 'application/offset+octet-stream' }, body: 'abc', status: 400 },
  { name: 'PATCH with Upload-Offset in hex', method: 'PATCH', path: created, headers: { ...TUS, 'Upload-Offset': '0x0a', 'Content-Type': 'application/offset+octet-stream' }, body: 'abc', status: 400 },
  { name: 'PATCH as text/plain', method: 'PATCH', path: created, headers: { ...TUS, 'Upload-Offset': '10', 'Content-Type': 'text/plain' }, body: 'abc' },
  { name: 'PATCH without Content-Type', method: 'PATCH', path: created, headers: { ...TUS, 'Upload-Offset': '10' }, body: 'abc' },
  { name: 'PATCH past Upload-Length', method: 'PATCH', path: created, headers: { ...TUS, 'Upload-Offset': '10', 'Content-Type': 'application/offset+octet-stream' }, body: Buffer.alloc(200), status: 413 },
  { name: 'PATCH that changes a known Upload-Length', method: 'PATCH', path: created, headers: { ...TUS, 'Upload-Offset': '10', 'Upload-Length': '50', 'Content-Type': 'application/offset+octet-stream' }, body: '' },
  { name: 'PATCH of an unknown upload', method: 'PATCH', path: () => `/api/uploads/${randomUUID()}`, headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' }, body: 'abc', status: 404 },
  { name: 'PATCH of an id that is not a uuid', method: 'PATCH', path: () => '/api/uploads/not-an-id', headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' }, body: 'abc', status: 404 },
  { name: 'PATCH of a folder id', method: 'PATCH', path: (f) => `/api/uploads/${f.folderId}`, headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' }, body: 'abc', status: 404 },
  { name: 'PATCH with bytes after a finished upload', method: 'PATCH', path: (f) => `/api/uploads/${f.fileId}`, headers: { ...TUS, 'Upload-Offset': '1000', 'Content-Type': 'application/offset+octet-stream' }, body: 'more', status: 409 },
  { name: 'PATCH of a finished upload at offset 0', method: 'PATCH', path: (f) => `/api/uploads/${f.fileId}`, headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' }, body: 'rewrite', status: 409 },
  { name: 'termination of a finished upload (data loss before)', method: 'DELETE', path: (f) => `/api/uploads/${f.fileId}`, headers: TUS, status: 409 },
  { name: 'termination of a finished video', method: 'DELETE', path: (f) => `/api/uploads/${f.videoId}`, headers: TUS, status: 409 },
  { name: 'termination of an unknown upload', method: 'DELETE', path: () => `/api/uploads/${randomUUID()}`, headers: TUS, status: 404 },
  { name: 'termination of a folder id', method: 'DELETE', path: (f) => `/api/uploads/${f.folderId}`, headers: TUS, status: 404 },
  { name: 'termination without Tus-Resumable', method: 'DELETE', path: created, status: 412 },
  { name: 'tus path traversal in the upload id', method: 'PATCH', path: () => '/api/uploads/..%2f..%2fetc%2fpasswd', headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' }, body: 'x' },
  { name: 'GET of an upload (tus has no downloads)', method: 'GET', path: created, headers: TUS, status: 404 },
  { name: 'PUT on the tus endpoint', method: 'PUT', path: () => '/api/uploads', headers: TUS, body: 'x', status: 404 },
  // ---- names in the upload metadata --------------------------------------------------------------
  { name: 'file name ""', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '5', 'Upload-Metadata': 'filename ' }, status: 400 },
  { name: 'file name ".."', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '5', 'Upload-Metadata': meta('..') }, status: 400 },
  { name: 'file name "."', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '5', 'Upload-Metadata': meta('.') }, status: 400 },
  { name: 'file name "../../etc/passwd"', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '5', 'Upload-Metadata': meta('../../etc/passwd') }, status: 400 },
  { name: 'file name with NUL', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '5', 'Upload-Metadata': meta('a\0.bin') }, status: 400 },
  { name: 'file name with a control character', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '5', 'Upload-Metadata': meta('a\x1b[31m.bin') }, status: 400 },
  { name: 'file name of 300 bytes', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '5', 'Upload-Metadata': meta('é'.repeat(150)) }, status: 400 },
  { name: 'file name as overlong UTF-8 ("..")', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '5', 'Upload-Metadata': meta(Buffer.from([0xc0, 0xae, 0xc0, 0xae])) }, status: 400 },
  { name: 'file name that is invalid UTF-8', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '5', 'Upload-Metadata': meta(Buffer.from([0x61, 0xff, 0xfe])) }, status: 400 },
  { name: 'folder "/../etc" in the metadata', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '5', 'Upload-Metadata': meta('a.bin', `,folder ${b64('/../etc')}`) }, status: 400 },
  { name: 'folder "/docs/./x" in the metadata', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '5', 'Upload-Metadata': meta('a.bin', `,folder ${b64('/docs/./x')}`) }, status: 400 },
  { name: 'folder that is a file', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '5', 'Upload-Metadata': meta('a.bin', `,folder ${b64('/docs/a.txt')}`) } },
  { name: 'a name that is taken', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '5', 'Upload-Metadata': meta('a.txt', `,folder ${b64('/docs')}`) }, status: 409 },
  { name: 'a name being uploaded', method: 'POST', path: () => '/api/uploads', headers: { ...TUS, 'Upload-Length': '5', 'Upload-Metadata': meta('pending.bin') }, status: 409 },
  // ---- paths and traversal in every encoding -----------------------------------------------------
  { name: 'path=/..', method: 'GET', path: () => '/api/files?path=/..', status: 400 },
  { name: 'path=/docs/../..', method: 'GET', path: () => '/api/files?path=/docs/../..', status: 400 },
  { name: 'path=%2e%2e', method: 'GET', path: () => '/api/files?path=%2e%2e' },
  { name: 'path=/%2e%2e/%2e%2e/etc', method: 'GET', path: () => '/api/files?path=/%2e%2e/%2e%2e/etc', status: 400 },
  { name: 'path double-encoded %252e%252e', method: 'GET', path: () => '/api/files?path=/%252e%252e/%252e%252e/etc' },
  { name: 'path with %2f separators', method: 'GET', path: () => '/api/files?path=/docs%2f..%2f..%2fetc', status: 400 },
  { name: 'path with backslashes', method: 'GET', path: () => '/api/files?path=%5c..%5c..%5cetc' },
  { name: 'path with NUL', method: 'GET', path: () => '/api/files?path=/docs%00/x', status: 400 },
  { name: 'path in overlong UTF-8', method: 'GET', path: () => '/api/files?path=/%c0%ae%c0%ae/%c0%ae%c0%ae/etc' },
  { name: 'path given twice', method: 'GET', path: () => '/api/files?path=/docs&path=/..' },
  { name: 'lookup of ../', method: 'GET', path: () => '/api/files/lookup?path=/docs/../../etc/passwd', status: 400 },
  { name: 'lookup of a missing file', method: 'GET', path: () => '/api/files/lookup?path=/nope.txt', status: 404 },
  { name: 'content of ..%2f..%2fetc%2fpasswd', method: 'GET', path: () => '/api/files/..%2f..%2fetc%2fpasswd/content' },
  { name: 'content of %2e%2e', method: 'GET', path: () => '/api/files/%2e%2e/content' },
  { name: 'content of ..%5c..%5c', method: 'GET', path: () => '/api/files/..%5c..%5cpackage.json/content' },
  { name: 'content of an unknown id', method: 'GET', path: () => `/api/files/${randomUUID()}/content`, status: 404 },
  { name: 'content of a folder', method: 'GET', path: (f) => `/api/files/${f.folderId}/content` },
  { name: 'content of an unfinished upload', method: 'GET', path: (f) => `/api/files/${f.unfinishedId}/content` },
  { name: 'HLS traversal with %2f', method: 'GET', path: (f) => `/hls/${f.videoId}/..%2f..%2foriginals%2f${f.fileId}` },
  { name: 'HLS traversal with %2e%2e segments', method: 'GET', path: (f) => `/hls/${f.videoId}/%2e%2e/%2e%2e/etc/passwd` },
  { name: 'HLS double-encoded traversal', method: 'GET', path: (f) => `/hls/${f.videoId}/%252e%252e%252fmaster.m3u8` },
  { name: 'HLS with a backslash', method: 'GET', path: (f) => `/hls/${f.videoId}/..%5cmaster.m3u8` },
  { name: 'HLS of an id that is not a uuid', method: 'GET', path: () => '/hls/..%2f..%2f/master.m3u8' },
  { name: 'web asset traversal', method: 'GET', path: () => '/assets/..%2f..%2fpackage.json', status: 404 },
  { name: 'web asset traversal with backslashes', method: 'GET', path: () => '/assets/%2e%2e%5c%2e%2e%5cpackage.json', status: 404 },
  { name: 'poster of a file that is not a video', method: 'GET', path: (f) => `/api/files/${f.fileId}/poster.jpg`, status: 404 },
  { name: 'a file id that is not a uuid', method: 'GET', path: () => '/api/files/not-a-uuid' },
  { name: 'an unknown API route', method: 'GET', path: () => '/api/nope', status: 404 },
  // ---- bodies that are not JSON, or not what a route takes --------------------------------------
  { name: 'mkdir of /docs/../../x', method: 'POST', path: () => '/api/folders', headers: JSON_TYPE, body: JSON.stringify({ path: '/docs/../../x' }), status: 400 },
  { name: 'mkdir with NUL', method: 'POST', path: () => '/api/folders', headers: JSON_TYPE, body: JSON.stringify({ path: '/a\u0000b' }), status: 400 },
  { name: 'mkdir with a number for a path', method: 'POST', path: () => '/api/folders', headers: JSON_TYPE, body: JSON.stringify({ path: 42 }), status: 400 },
  { name: 'mkdir with no path', method: 'POST', path: () => '/api/folders', headers: JSON_TYPE, body: '{}', status: 400 },
  { name: 'mkdir of a folder that exists', method: 'POST', path: () => '/api/folders', headers: JSON_TYPE, body: JSON.stringify({ path: '/docs' }), status: 409 },
  { name: 'mkdir under a file', method: 'POST', path: () => '/api/folders', headers: JSON_TYPE, body: JSON.stringify({ path: '/docs/a.txt/sub', parents: true }) },
  { name: 'broken JSON', method: 'POST', path: () => '/api/folders', headers: JSON_TYPE, body: '{path: /x', status: 400 },
  { name: 'a JSON array', method: 'POST', path: () => '/api/folders', headers: JSON_TYPE, body: '[]', status: 400 },
  { name: 'JSON null', method: 'POST', path: () => '/api/folders', headers: JSON_TYPE, body: 'null', status: 400 },
  { name: 'a 2 MB JSON body', method: 'POST', path: () => '/api/folders', headers: JSON_TYPE, body: JSON.stringify({ path: `/${huge}` }), status: 413 },
  { name: 'JSON in an unknown charset', method: 'POST', path: () => '/api/folders', headers: { 'Content-Type': 'application/json; charset=ebcdic' }, body: JSON.stringify({ path: '/cs' }) },
  { name: 'gzip-encoded JSON', method: 'POST', path: () => '/api/folders', headers: { ...JSON_TYPE, 'Content-Encoding': 'gzip' }, body: 'not really gzip' },
  { name: 'a form-encoded mkdir', method: 'POST', path: () => '/api/folders', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'path=%2Fform', status: 415 },
  { name: 'a text/plain mkdir (a form can send it)', method: 'POST', path: () => '/api/folders', headers: { 'Content-Type': 'text/plain' }, body: '{"path":"/plain"}', status: 415 },
  { name: 'a multipart mkdir', method: 'POST', path: () => '/api/folders', headers: { 'Content-Type': 'multipart/form-data; boundary=b' }, body: '--b\r\nContent-Disposition: form-data; name="path"\r\n\r\n/mp\r\n--b--\r\n', status: 415 },
  { name: 'rename to ../x', method: 'PATCH', path: (f) => `/api/files/${f.fileId}`, headers: JSON_TYPE, body: JSON.stringify({ name: '../x' }), status: 400 },
  { name: 'rename to ""', method: 'PATCH', path: (f) => `/api/files/${f.fileId}`, headers: JSON_TYPE, body: JSON.stringify({ name: '' }), status: 400 },
  { name: 'move into a file', method: 'PATCH', path: (f) => `/api/files/${f.fileId}`, headers: JSON_TYPE, body: JSON.stringify({ folder: '/docs/a.txt' }) },
  { name: 'move a folder into itself', method: 'PATCH', path: (f) => `/api/files/${f.folderId}`, headers: JSON_TYPE, body: JSON.stringify({ folder: '/docs' }) },
  { name: 'a form-encoded rename', method: 'PATCH', path: (f) => `/api/files/${f.fileId}`, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'name=evil', status: 415 },
  { name: 'delete an unknown file', method: 'DELETE', path: () => `/api/files/${randomUUID()}`, status: 404 },
  { name: 'delete a folder that is not empty, without recursive', method: 'DELETE', path: (f) => `/api/files/${f.folderId}` },
  // ---- ranges and conditional headers (on /docs/a.txt, 1000 bytes) ------------------------------
  { name: 'Range past the end', method: 'GET', path: (f) => `/api/files/${f.fileId}/content`, headers: { Range: 'bytes=5000-6000' }, status: 416 },
  { name: 'Range bytes=1000-', method: 'GET', path: (f) => `/api/files/${f.fileId}/content`, headers: { Range: 'bytes=1000-' }, status: 416 },
  { name: 'Range bytes=-0', method: 'GET', path: (f) => `/api/files/${f.fileId}/content`, headers: { Range: 'bytes=-0' }, status: 416 },
  { name: 'If-Match with another ETag', method: 'GET', path: (f) => `/api/files/${f.fileId}/content`, headers: { 'If-Match': '"not-this-one"' }, status: 412 },
  { name: 'If-Unmodified-Since long ago', method: 'GET', path: (f) => `/api/files/${f.fileId}/content`, headers: { 'If-Unmodified-Since': 'Thu, 01 Jan 1998 00:00:00 GMT' }, status: 412 },
  { name: 'If-Match on a ranged read', method: 'GET', path: (f) => `/api/files/${f.fileId}/content`, headers: { 'If-Match': '"nope"', Range: 'bytes=0-9' }, status: 412 },
  // ---- events and jobs -----------------------------------------------------------------------------
  { name: 'replay without a JSON content type (a form could)', method: 'POST', path: (f) => `/api/events/${f.folderEventId}/replay`, status: 415 },
  { name: 'replay of an event that is not upload.completed', method: 'POST', path: (f) => `/api/events/${f.folderEventId}/replay`, headers: JSON_TYPE, status: 409 },
  { name: 'replay of an unknown event', method: 'POST', path: () => '/api/events/99999999/replay', headers: JSON_TYPE, status: 404 },
  { name: 'replay of a non-numeric id', method: 'POST', path: () => '/api/events/abc/replay', headers: JSON_TYPE },
  { name: 'events of an unknown type', method: 'GET', path: () => '/api/events?type=nope', status: 400 },
  { name: 'events with limit=-1', method: 'GET', path: () => '/api/events?limit=-1', status: 400 },
  { name: 'events after=abc', method: 'GET', path: () => '/api/events?after=abc', status: 400 },
  { name: 'event stream with Last-Event-ID abc', method: 'GET', path: () => '/api/events/stream', headers: { 'Last-Event-ID': 'abc' }, status: 400 },
  { name: 'jobs with limit=abc', method: 'GET', path: () => '/api/media/jobs?limit=abc', status: 400 },
  // ---- cross-origin and wrong-Host requests ------------------------------------------------------
  { name: 'a rebound Host reading the listing', method: 'GET', path: () => '/api/files?path=/', headers: { Host: 'attacker.example' }, status: 421 },
  { name: 'a rebound Host creating an upload', method: 'POST', path: () => '/api/uploads', headers: { Host: 'attacker.example:8080', ...TUS, 'Upload-Length': '5', 'Upload-Metadata': meta('rebound.bin') }, status: 421 },
  { name: 'a rebound Host deleting a file', method: 'DELETE', path: (f) => `/api/files/${f.fileId}`, headers: { Host: 'nebula.attacker.example' }, status: 421 },
  { name: 'another origin reading the listing', method: 'GET', path: () => '/api/files?path=/', headers: { Origin: 'https://evil.example' }, status: 403 },
  { name: 'another origin preflighting an upload', method: 'OPTIONS', path: () => '/api/uploads', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' }, status: 403 },
  { name: 'another origin uploading', method: 'POST', path: () => '/api/uploads', headers: { Origin: 'https://evil.example', ...TUS, 'Upload-Length': '5', 'Upload-Metadata': meta('evil.bin') }, status: 403 },
  { name: 'another origin terminating an unfinished upload', method: 'DELETE', path: created, headers: { Origin: 'https://evil.example', ...TUS }, status: 403 },
  { name: 'another origin deleting a file', method: 'DELETE', path: (f) => `/api/files/${f.fileId}`, headers: { Origin: 'https://evil.example' }, status: 403 },
  { name: 'origin null (sandboxed page) creating a folder', method: 'POST', path: () => '/api/folders', headers: { Origin: 'null', ...JSON_TYPE }, body: JSON.stringify({ path: '/null' }), status: 403 },
  { name: 'a look-alike origin', method: 'POST', path: () => '/api/folders', headers: { Origin: 'http://127.0.0.1.evil.example', ...JSON_TYPE }, body: JSON.stringify({ path: '/alike' }), status: 403 },
];

interface State {
  entries: unknown[];
  events: number;
  files: string[];
}

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else out.push(`${relative(root, path)} ${(await stat(path)).size}`);
    }
  }
  await walk(root);
  return out.sort();
}

describe('the bad-input table: 4xx with a JSON reason, never a 5xx, nothing left behind', () => {
  let gw: TestGateway;
  let db: pg.Client;
  let fixture: Fixture;
  let before: State;

  const state = async (): Promise<State> => ({
    entries: (await db.query('SELECT id, parent_id, name, status, size, sha256, media_status FROM entries ORDER BY id')).rows,
    events: Number((await db.query('SELECT count(*) AS n FROM events')).rows[0].n),
    // Objects (the fs driver) and tus' records, with their sizes.
    files: await listFiles(gw.config.dataDir).then((all) => all.filter((f) => f.startsWith('objects/') || f.startsWith('uploads/'))),
  });

  const upload = async (name: string, bytes: Buffer, folder?: string): Promise<string> => {
    const res = await fetch(`${gw.url}/api/uploads`, {
      method: 'POST',
      headers: { ...TUS, 'Upload-Length': String(bytes.length), 'Upload-Metadata': meta(name, folder ? `,folder ${b64(folder)}` : ''), 'Content-Type': 'application/offset+octet-stream' },
      body: new Uint8Array(bytes),
    });
    expect(res.status).toBe(201);
    return res.headers.get('location')!.split('/').pop()!;
  };

  beforeAll(async () => {
    gw = await startTestGateway('fs');
    db = new pg.Client({ connectionString: gw.config.databaseUrl });
    await db.connect();
    const folder = (await (await fetch(`${gw.url}/api/folders`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ path: '/docs' }) })).json()) as EntryDto;
    const fileId = await upload('a.txt', randomBytes(1000), '/docs');
    const videoId = await upload('clip.mp4', randomBytes(2000));
    const pending = await fetch(`${gw.url}/api/uploads`, { method: 'POST', headers: { ...TUS, 'Upload-Length': '100', 'Upload-Metadata': meta('pending.bin'), 'Content-Type': 'application/offset+octet-stream' }, body: 'ten bytes!' });
    expect(pending.status).toBe(201);
    const events = (await (await fetch(`${gw.url}/api/events`)).json()) as NebulaEvent[];
    const folderEvent = events.find((e) => e.type !== 'upload.completed')!;
    fixture = { folderId: folder.id, fileId, videoId, unfinishedId: pending.headers.get('location')!.split('/').pop()!, folderEventId: Number(folderEvent.id) };
    // Let the records of the finished uploads go (removed right after their answers).
    for (let i = 0; i < 100 && (await state()).files.filter((f) => f.startsWith('uploads/')).length !== 1; i++) await new Promise((r) => setTimeout(r, 50));
    before = await state();
  });

  afterAll(async () => {
    await db?.end();
    await gw?.stop();
  });

  it(`has at least 60 rows (${rows.length})`, () => {
    expect(rows.length).toBeGreaterThanOrEqual(60);
  });

  it.each(rows.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    const res: RawResponse = await raw(gw.url, row.method, row.path(fixture), row.headers ?? {}, row.body);
    const what = `${row.method} ${row.path(fixture)} → ${res.status} ${res.body.slice(0, 300)}`;
    expect(res.status, what).toBeGreaterThanOrEqual(400);
    expect(res.status, what).toBeLessThan(500);
    if (row.status) expect(res.status, what).toBe(row.status);
    expect(String(res.headers['content-type']), what).toMatch(/^application\/json/);
    const body = JSON.parse(res.body) as { code?: unknown; message?: unknown; statusCode?: unknown };
    expect(typeof body.code, what).toBe('string');
    expect(typeof body.message, what).toBe('string');
    expect(body.statusCode, what).toBe(res.status);
    expect(res.body, what).not.toMatch(/127\.0\.0\.1:\d+|ECONNREFUSED|\bat \w+ \(|node_modules/);
    expect(await state(), what).toEqual(before);
  });
});
