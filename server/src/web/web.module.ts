import { Module } from '@nestjs/common';
import { WebController } from './web.controller';
import { defaultWebDistDir, WebDist } from './web-dist';

/** Serves the web UI (web/dist, built by Vite) at `/`. Its routes are listed, never a catch-all. */
@Module({
  controllers: [WebController],
  providers: [{ provide: WebDist, useFactory: () => new WebDist(defaultWebDistDir()) }],
})
export class WebModule {}
