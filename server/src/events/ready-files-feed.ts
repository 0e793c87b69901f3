import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ReadyFiles } from '../files/ready-files';
import { EventFeed } from './event-feed';

/**
 * Keeps the content route's memory of ready files true to the event log: a file moved, deleted or
 * uploaded anew by another gateway process is forgotten when its event arrives. Until the feed is
 * connected nothing is remembered, so a database that is down at start-up costs speed, not truth.
 */
@Injectable()
export class ReadyFilesFeed implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('events');
  private unsubscribe?: () => void;

  constructor(
    private readonly feed: EventFeed,
    private readonly readyFiles: ReadyFiles,
  ) {}

  onApplicationBootstrap(): void {
    void this.feed.subscribe((event) => this.readyFiles.onEvent(event)).then(
      (unsubscribe) => {
        this.unsubscribe = unsubscribe;
        this.readyFiles.enabled = true;
      },
      (error: Error) => this.logger.warn(`file content is looked up in the database on every request: the event feed did not start (${error.message})`),
    );
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
  }
}
