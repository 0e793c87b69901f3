import { NebulaClient } from './api-client';
import { resolveServer } from './config';
import { createOutput, type Output } from './output';

/** What every command gets: how to print, and a client for the configured server. */
export interface CommandContext {
  output: Output;
  /** The client for --server / NEBULA_SERVER / the stored login; fails with "run nebula login" if none. */
  client(): Promise<NebulaClient>;
}

export function createContext(options: { json?: boolean; server?: string }): CommandContext & { close(): Promise<void> } {
  const output = createOutput(options);
  let client: NebulaClient | undefined;
  return {
    output,
    client: async () => (client ??= new NebulaClient(await resolveServer(options.server))),
    close: async () => {
      await client?.close();
    },
  };
}
