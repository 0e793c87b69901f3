import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { SEARCH_LIMIT, type EntryDto, type FolderListing, type SearchResults } from '@nebula/contract';
import type { Caller } from '../access/caller-identity';
import { CurrentCaller } from '../access/current-caller';
import { wholeNumber } from '../http/query';
import { TraceId } from '../http/request-context';
import { parseBody } from '../http/zod-body';
import { FilesService } from './files.service';

const createFolderBody = z.object({ path: z.string({ error: 'required: the folder path, e.g. /videos/2026' }), parents: z.boolean().optional() });
const moveBody = z.object({ name: z.string().optional(), folder: z.string().optional() });

@ApiTags('files')
@Controller('api')
export class FilesController {
  constructor(private readonly files: FilesService) {}

  @Get('files')
  @ApiOperation({ summary: 'List a folder (?path=/a/b; default the root)' })
  list(@Query('path') path = '/'): Promise<FolderListing> {
    return this.files.list(path);
  }

  @Get('search')
  @ApiOperation({ summary: `Entries in every folder whose name holds ?q= (case and accents ignored), best first, each with its path; ?limit= (${SEARCH_LIMIT.default}, at most ${SEARCH_LIMIT.max}) and ?offset=` })
  search(@Query('q') q: unknown, @Query('limit') limit?: string, @Query('offset') offset?: string): Promise<SearchResults> {
    // ?q=a&q=b arrives as an array: one query only.
    const text = typeof q === 'string' ? q : '';
    return this.files.search(text, { limit: Math.min(wholeNumber(limit, 'limit', SEARCH_LIMIT.default, 1), SEARCH_LIMIT.max), offset: wholeNumber(offset, 'offset', 0, 0) });
  }

  @Get('files/lookup')
  @ApiOperation({ summary: 'The file or folder at a path (?path=/a/b.mp4)' })
  lookup(@Query('path') path = ''): Promise<EntryDto> {
    return this.files.lookup(path);
  }

  @Get('files/:id')
  get(@Param('id') id: string): Promise<EntryDto> {
    return this.files.get(id);
  }

  @Post('folders')
  @ApiOperation({ summary: 'Create a folder ({ path, parents? })' })
  createFolder(@Body() body: unknown, @TraceId() traceId: string, @CurrentCaller() caller: Caller): Promise<EntryDto> {
    const { path, parents } = parseBody(createFolderBody, body);
    return this.files.createFolder(path, { parents: parents ?? false, traceId, owner: caller.user });
  }

  @Patch('files/:id')
  @ApiOperation({ summary: 'Rename and/or move ({ name?, folder? })' })
  move(@Param('id') id: string, @Body() body: unknown, @TraceId() traceId: string): Promise<EntryDto> {
    return this.files.move(id, parseBody(moveBody, body), traceId);
  }

  @Delete('files/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a file (its bytes, renditions and poster too) or a folder (?recursive=true when not empty)' })
  async delete(@Param('id') id: string, @Query('recursive') recursive: string | undefined, @TraceId() traceId: string): Promise<void> {
    await this.files.delete(id, { recursive: recursive === 'true' || recursive === '1', traceId });
  }
}
