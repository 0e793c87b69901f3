import { Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { EVENT_TYPES, type NebulaEvent } from '@nebula/contract';
import { wholeNumber } from '../http/query';
import { TraceId } from '../http/request-context';
import { MediaPipeline } from '../media/media-pipeline.service';
import { EventFeed } from './event-feed';
import { EventsRepository, isEventId, MAX_EVENT_ID } from './events.repository';
import { InvalidError } from '../errors/domain-errors';

const HEARTBEAT_MS = 15_000;

function eventId(value: string | undefined, name: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!isEventId(value)) throw new InvalidError('bad_request', `${name} must be an event id (a whole number up to ${MAX_EVENT_ID})`);
  return value;
}

@ApiTags('events')
@Controller('api/events')
export class EventsController {
  constructor(
    private readonly events: EventsRepository,
    private readonly feed: EventFeed,
    private readonly pipeline: MediaPipeline,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The event log in order (?after=<id>&subject=file:<id>&type=...&limit=100; &newest=true: the newest `limit`, still in order)' })
  list(@Query('after') after?: string, @Query('subject') subject?: string, @Query('type') type?: string, @Query('limit') limit?: string, @Query('newest') newest?: string): Promise<NebulaEvent[]> {
    if (type && !(EVENT_TYPES as readonly string[]).includes(type)) throw new InvalidError('bad_request', `unknown event type "${type}"; one of ${EVENT_TYPES.join(', ')}`);
    const n = wholeNumber(limit, 'limit', 100, 1);
    if (newest !== undefined && newest !== 'true' && newest !== 'false') throw new InvalidError('bad_request', 'newest must be true or false');
    return this.events.list({ after: eventId(after, 'after'), subject, type, limit: Math.min(n, 1000), newest: newest === 'true' });
  }

  /**
   * Server-Sent Events: every new event as it is committed. A client that reconnects sends
   * Last-Event-ID (browsers do it themselves) and first gets everything it missed.
   */
  @Get('stream')
  @ApiOperation({ summary: 'Live events over Server-Sent Events; resumes after Last-Event-ID (or ?after=)' })
  async stream(@Req() req: Request, @Res() res: Response, @Query('after') afterQuery?: string, @Query('subject') subject?: string): Promise<void> {
    const after = eventId((req.headers['last-event-id'] as string | undefined) ?? afterQuery, 'Last-Event-ID');
    res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    res.write('retry: 2000\n\n');

    let lastSent = after ?? '';
    const send = (event: NebulaEvent) => {
      if (subject && event.subject !== subject) return;
      if (lastSent && BigInt(event.id) <= BigInt(lastSent)) return;
      lastSent = event.id;
      res.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    };
    // Subscribe first, then send the backlog: whatever arrives meanwhile is de-duplicated by id.
    const buffered: NebulaEvent[] = [];
    let live = false;
    const unsubscribe = await this.feed.subscribe((event) => (live ? send(event) : buffered.push(event)));
    if (after) {
      for (let page = await this.events.list({ after, subject, limit: 1000 }); page.length > 0; page = await this.events.list({ after: page.at(-1)!.id, subject, limit: 1000 })) {
        page.forEach(send);
      }
    }
    buffered.forEach(send);
    live = true;
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    const release = this.feed.holdOpen(() => res.end());
    req.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      release();
    });
  }

  @Post(':id/replay')
  @HttpCode(202)
  @ApiOperation({ summary: 'Replay an event: replaying upload.completed re-runs that file\u2019s media pipeline' })
  replay(@Param('id') id: string, @TraceId() traceId: string): Promise<NebulaEvent> {
    return this.pipeline.replay(id, traceId);
  }
}
