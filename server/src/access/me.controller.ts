import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { MeDto } from '@nebula/contract';
import type { Caller } from './caller-identity';
import { CurrentCaller } from './current-caller';

@ApiTags('access')
@Controller('api')
export class MeController {
  @Get('me')
  @ApiOperation({ summary: 'Who is calling: the tailnet user (from tailscale serve or tailscaled whois), or null for the single owner' })
  me(@CurrentCaller() caller: Caller): MeDto {
    return { user: caller.user, name: caller.name, via: caller.via, address: caller.address };
  }
}
