import type { CommandContext } from '../context';
import { ApiError, CliError, EXIT } from '../errors';

/** nebula replay <event-id>: POST /api/events/{id}/replay; replaying upload.completed runs that file's pipeline again. */
export async function replay(id: string, context: CommandContext): Promise<void> {
  if (!/^\d+$/.test(id)) throw new CliError(`not an event id: "${id}" (a whole number, as nebula events shows)`, EXIT.usage, 'usage');
  const client = await context.client();
  let queued;
  try {
    queued = await client.replay(id);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) throw new ApiError(404, error.code, `no event ${id} (nebula events lists them)`);
    throw error;
  }
  const path = queued.data.path ?? queued.subject;
  context.output.line(`replayed event ${id}: ${path} is queued for its media pipeline again (event ${queued.id}, ${queued.type}); nebula status ${path} --watch follows it`, {
    event: 'replayed',
    replayOf: id,
    queued: queued,
  });
}
