import { Controller, Delete, Get, Head, Inject, Put, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NODE_STORAGE_PATH, nodeMay } from '@nebula/contract';
import { assertValidKey, assertValidPrefix, ObjectNotFoundError, type ObjectStat, type ObjectStorage } from '@nebula/shared/storage';
import { ForbiddenError, InvalidError, NotFoundError } from '../errors/domain-errors';
import { decideRange } from '../files/range';
import { OBJECT_STORAGE } from '../storage/storage.module';
import { NodeTokenGuard } from './node-token.guard';

/**
 * The object store for worker nodes that do not share the server's disk (the server on the fs
 * driver; a node on the s3 driver talks to S3 itself): ranged reads, streaming writes, lists and
 * deletes, each with a join token, and only on the keys a worker needs (contract's nodeMay).
 * Bodies pass through as streams both ways.
 */
@ApiExcludeController()
@Controller('api/nodes/storage')
@UseGuards(NodeTokenGuard)
export class NodeStorageController {
  constructor(@Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage) {}

  /** Every object under ?prefix=, one JSON object per line, as the store lists them. */
  @Get()
  async list(@Query('prefix') prefix: unknown, @Res() res: Response): Promise<void> {
    const checked = allowedPrefix(prefix);
    res.status(200).setHeader('Content-Type', 'application/x-ndjson');
    const lines = Readable.from(
      (async function* (objects: AsyncIterable<ObjectStat>) {
        for await (const object of objects) yield `${JSON.stringify(wire(object))}\n`;
      })(this.storage.list(checked)),
    );
    await pipeline(lines, res).catch((error: unknown) => res.destroy(error as Error));
  }

  @Delete()
  async deletePrefix(@Query('prefix') prefix: unknown): Promise<{ deleted: number }> {
    return { deleted: await this.storage.deletePrefix(allowedPrefix(prefix)) };
  }

  @Head('*key')
  async head(@Req() req: Request, @Res() res: Response): Promise<void> {
    const key = keyOf(req, 'read');
    const stat = await this.storage.stat(key);
    if (!stat) throw missing(key);
    res.status(200).setHeader('Content-Length', String(stat.size)).setHeader('X-Object-Modified', stat.modified.toISOString()).end();
  }

  @Get('*key')
  async get(@Req() req: Request, @Res() res: Response): Promise<void> {
    const key = keyOf(req, 'read');
    const stat = await this.storage.stat(key);
    if (!stat) throw missing(key);
    const decision = decideRange({ range: req.headers.range }, stat.size, { etag: '', lastModified: stat.modified });
    if (decision.kind === 'unsatisfiable') {
      res.status(416).setHeader('Content-Range', `bytes */${stat.size}`).json({ statusCode: 416, code: 'range_not_satisfiable', message: `"${key}" has ${stat.size} bytes; that range lies outside it` });
      return;
    }
    const range = decision.kind === 'partial' ? decision.range : undefined;
    let body: Readable;
    try {
      body = await this.storage.get(key, range);
    } catch (error) {
      if (error instanceof ObjectNotFoundError) throw missing(key);
      throw error;
    }
    res.status(range ? 206 : 200).setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(range ? range.end - range.start + 1 : stat.size));
    if (range) res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${stat.size}`);
    await pipeline(body, res).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ERR_STREAM_PREMATURE_CLOSE') res.destroy(error);
    });
  }

  /** The request body goes to the store as it arrives; the object appears only once it is whole. */
  @Put('*key')
  async put(@Req() req: Request): Promise<{ key: string; size: number; modified: string }> {
    const key = keyOf(req, 'write');
    const contentType = req.headers['content-type'];
    // The gateway's JSON and form parsers read such bodies before this runs: storing what is left would store nothing.
    if (req.readableEnded && Number(req.headers['content-length'] ?? 0) > 0) {
      throw new InvalidError('bad_request', `"${key}": send object bytes as application/octet-stream (or their own media type), not ${contentType ?? 'a form'}`);
    }
    try {
      return wire(await this.storage.put(key, req, contentType ? { contentType } : {}));
    } catch (error) {
      // The node hung up mid-body (its encoder died, it lost the network): nothing was stored, and nobody hears the answer.
      if (req.destroyed) throw new InvalidError('bad_request', `the body of "${key}" was cut off; nothing was stored`);
      throw error;
    }
  }

  @Delete('*key')
  async delete(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.storage.delete(keyOf(req, 'write'));
    res.status(204).end();
  }
}

function wire(object: ObjectStat): { key: string; size: number; modified: string } {
  return { key: object.key, size: object.size, modified: object.modified.toISOString() };
}

/** The object key of the request's path (each part percent-decoded), if a node may do `operation` with it. */
function keyOf(req: Request, operation: 'read' | 'write'): string {
  const raw = req.path.slice(NODE_STORAGE_PATH.length + 1);
  let key: string;
  try {
    key = raw.split('/').map(decodeURIComponent).join('/');
    assertValidKey(key);
  } catch {
    throw new InvalidError('bad_request', `"${raw.slice(0, 200)}" is not an object key`);
  }
  if (!nodeMay(operation, key)) throw notAllowed(operation, key);
  return key;
}

function allowedPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string') throw new InvalidError('bad_request', 'say which objects: ?prefix=hls/<file id>/');
  try {
    assertValidPrefix(prefix);
  } catch (error) {
    throw new InvalidError('bad_request', (error as Error).message);
  }
  if (!nodeMay('list', prefix)) throw notAllowed('list', prefix);
  return prefix;
}

function notAllowed(operation: 'read' | 'write' | 'list', key: string): ForbiddenError {
  const what = {
    read: 'read originals, renditions (hls/<file>/) and posters',
    write: 'change renditions (hls/<file>/) and posters',
    list: 'list or delete by prefix within the renditions of one file (hls/<file>/)',
  }[operation];
  return new ForbiddenError('key_not_allowed', `a worker node may only ${what}, not "${key.slice(0, 200)}"`);
}

function missing(key: string): NotFoundError {
  return new NotFoundError('not_found', `no object at "${key}"`);
}
