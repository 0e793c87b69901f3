import { Command, CommanderError, Option } from 'commander';
import type { CommandContext } from './context';
import { CliError, describeError, EXIT } from './errors';
import { parseStartTime } from './player';
import { parseConcurrency } from './upload-queue';

interface GlobalOptions {
  server?: string;
  json?: boolean;
}

/**
 * Runs one command with its context, and turns any failure into one line and an exit code. Each
 * command's code (and the HTTP client) is loaded when that command runs, not at start: loading all
 * of them made `nebula --help` take about 0.9 s, most of it modules that help never uses.
 */
function action<A extends unknown[]>(run: (context: CommandContext, ...args: A) => Promise<number | void>) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const options = command.optsWithGlobals<GlobalOptions>();
    const { createContext } = await import('./context');
    const context = createContext(options);
    try {
      process.exitCode = (await run(context, ...(args.slice(0, -1) as A))) ?? EXIT.ok;
    } catch (error) {
      const { message, exitCode, code } = describeError(error);
      context.output.event({ event: 'error', code, message });
      process.stderr.write(`nebula: ${message}\n`);
      process.exitCode = exitCode;
    } finally {
      await context.close();
    }
  };
}

/** A whole number for a count option (--limit, --recent), or a usage error naming the option. */
function wholeNumber(option: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new CliError(`${option} must be a whole number from ${min} to ${max}, got "${value}"`, EXIT.usage, 'usage');
    return n;
  };
}

function startTime(value: string | undefined): number | null {
  try {
    return parseStartTime(value);
  } catch (error) {
    throw new CliError(`--start: ${(error as Error).message}`, EXIT.usage, 'usage');
  }
}

const jsonOption = () => new Option('--json', 'one JSON object per line (the default when stdout is not a terminal)');

export function buildProgram(): Command {
  const program = new Command('nebula')
    .description('The terminal client of Nebula, a self-hosted media cloud.')
    .version('0.1.0', '-V, --version')
    .addOption(new Option('--server <url>', 'the Nebula server (default: $NEBULA_SERVER, then the one from nebula login)'))
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`nebula: ${text.replace(/^error: /, '')}`) });

  program
    .command('login')
    .description('remember the server to talk to (checks that it answers first)')
    .argument('<server-url>', 'e.g. http://127.0.0.1:8080 or https://nebula.your-tailnet.ts.net')
    .addOption(jsonOption())
    .action(action(async (context, url: string) => (await import('./commands/login')).login(url, context)));

  program
    .command('upload')
    .description('upload files and folders (resumable: run it again after any interruption)')
    .argument('<file-or-folder...>', 'what to upload; folders keep their structure')
    .option('--to <folder>', 'the folder on the server to upload into', '/')
    .option('--concurrency <n>', 'files uploaded at the same time (1-16)', '3')
    .option('--replace', 'give up your unfinished upload of the same name (started on any device) and upload anew')
    .addOption(jsonOption())
    .action(
      action(async (context, inputs: string[], options: { to: string; concurrency: string; replace?: boolean }) =>
        (await import('./commands/upload')).upload(inputs, { to: options.to, concurrency: parseConcurrency(options.concurrency), replace: options.replace === true }, context),
      ),
    );

  program
    .command('ls')
    .description('list a folder')
    .argument('[folder]', 'the folder on the server', '/')
    .addOption(jsonOption())
    .action(action(async (context, folder: string) => (await import('./commands/ls')).ls(folder, context)));

  program
    .command('search')
    .description('find files and folders by name in every folder (case and accents ignored)')
    .argument('<words...>', 'a part of the name, e.g. beach or "beach walk"')
    .option('-n, --limit <n>', 'at most this many results', '50')
    .addOption(jsonOption())
    .action(action(async (context, words: string[], options: { limit: string }) => (await import('./commands/search')).search(words, { limit: wholeNumber('--limit', 1, 1000)(options.limit) }, context)));

  program
    .command('get')
    .description('download a file (resumable, checked against its sha256)')
    .argument('<path>', 'the file on the server')
    .option('-o, --output <file>', 'where to write it (default: its name, in this folder)')
    .addOption(jsonOption())
    .action(action(async (context, path: string, options: { output?: string }) => (await import('./commands/get')).get(path, options, context)));

  program
    .command('rm')
    .description('delete a file (with its renditions) or a folder')
    .argument('<path>', 'the file or folder on the server')
    .option('-r, --recursive', 'delete a folder with everything in it')
    .addOption(jsonOption())
    .action(action(async (context, path: string, options: { recursive?: boolean }) => (await import('./commands/rm')).rm(path, options, context)));

  program
    .command('mv')
    .description('rename or move a file or folder (into <to> when it is a folder)')
    .argument('<from>', 'the file or folder on the server')
    .argument('<to>', 'an existing folder to move it into, or its new path')
    .addOption(jsonOption())
    .action(action(async (context, from: string, to: string) => (await import('./commands/mv')).mv(from, to, context)));

  program
    .command('mkdir')
    .description('create a folder')
    .argument('<path>', 'the folder on the server')
    .option('-p, --parents', 'create missing parent folders too; no error if it exists')
    .addOption(jsonOption())
    .action(action(async (context, path: string, options: { parents?: boolean }) => (await import('./commands/mkdir')).mkdir(path, options, context)));

  program
    .command('status')
    .description('media jobs: running ones with percent, fps, speed and ETA; queued, ready, failed with the reason')
    .argument('[path]', 'a file or folder on the server (default: every job in flight and the last finished ones)')
    .option('-w, --watch', 'follow the jobs live; with a path, until every job under it is finished (exit 1 if one failed)')
    .option('--recent <n>', 'how many finished jobs to show', '20')
    .addOption(jsonOption())
    .action(action(async (context, path: string | undefined, options: { watch?: boolean; recent: string }) => (await import('./commands/status')).status(path, { watch: options.watch, recent: wholeNumber('--recent', 0, 500)(options.recent) }, context)));

  program
    .command('play')
    .description('print the HLS and original URLs of a video (--open starts mpv or vlc)')
    .argument('<path>', 'the file on the server')
    .option('--open', 'play it in mpv or vlc, whichever is installed')
    .option('--start <time>', 'with --open: start this far in (seconds, m:ss or h:mm:ss)')
    .addOption(jsonOption())
    .action(action(async (context, path: string, options: { open?: boolean; start?: string }) => (await import('./commands/play')).play(path, { open: options.open, start: startTime(options.start) }, context)));

  program
    .command('events')
    .description('the event log, newest last (--follow keeps printing new events live)')
    .option('-f, --follow', 'keep printing new events as they happen (Server-Sent Events)')
    .option('--type <type>', 'only events of this type, e.g. media.failed')
    .option('-n, --limit <n>', 'how many of the newest events to list first', '50')
    .addOption(jsonOption())
    .action(action(async (context, options: { follow?: boolean; type?: string; limit: string }) => (await import('./commands/events')).events({ follow: options.follow, type: options.type, limit: wholeNumber('--limit', 1, 1000)(options.limit) }, context)));

  program
    .command('replay')
    .description('replay an event: replaying upload.completed runs that file\u2019s media pipeline again')
    .argument('<event-id>', 'the id nebula events shows')
    .addOption(jsonOption())
    .action(action(async (context, id: string) => (await import('./commands/replay')).replay(id, context)));

  program
    .command('deploy')
    .description('push this checkout\u2019s HEAD to the server\u2019s main and follow the deploy (git push server HEAD:main)')
    .option('--remote <name>', 'the git remote of the server', 'server')
    .addOption(jsonOption())
    .action(action(async (context, options: { remote: string }) => (await import('./commands/deploy')).deploy(options, context)));

  program
    .command('deploys')
    .description('deploy history: time, commit, subject, result, duration (newest first)')
    .option('--remote [name]', 'read it from the server through this git remote (default: server) instead of the gateway; works while the gateway is down')
    .option('--runtime <folder>', 'with --remote: the server\u2019s runtime folder (default: found from the repo\u2019s hooks, else ~/nebula)')
    .option('-n, --limit <n>', 'how many deploys', '20')
    .addOption(jsonOption())
    .action(
      action(async (context, options: { remote?: string | boolean; runtime?: string; limit: string }) =>
        (await import('./commands/deploys')).deploys({ remote: options.remote === true ? 'server' : options.remote || undefined, runtime: options.runtime, limit: wholeNumber('--limit', 1, 500)(options.limit) }, context),
      ),
    );

  program
    .command('nodes')
    .description('worker nodes: name, capabilities (software, VAAPI/QSV), current job, last heartbeat, version')
    .addOption(jsonOption())
    .action(action(async (context) => (await import('./commands/nodes')).nodes(context)));

  const node = program.command('node').description('worker nodes on other machines: join tokens (README "Adding a machine")');
  node
    .command('token')
    .description('make a join token and print the one command that makes another machine a worker node')
    .option('--name <name>', 'what to call the token (e.g. the machine it is for)')
    .option('--list', 'list the join tokens (never the tokens themselves): id, name, when made, last join')
    .option('--revoke <id>', 'take a join token back: nodes using it are refused from their next request on')
    .addOption(jsonOption())
    .action(action(async (context, options: { name?: string; list?: boolean; revoke?: string }) => (await import('./commands/node-token')).nodeToken(options, context)));

  program
    .command('rollback')
    .description('redeploy a release the server still keeps (runs ~/nebula/bin/rollback.sh on it over ssh)')
    .argument('[sha]', 'the commit to go back to (default: the release before the current one)')
    .option('--remote <name>', 'the git remote of the server', 'server')
    .option('--runtime <folder>', 'the server\u2019s runtime folder (default: found from the repo\u2019s hooks, else ~/nebula)')
    .option('--list', 'list the kept releases instead')
    .addOption(jsonOption())
    .action(action(async (context, sha: string | undefined, options: { remote: string; runtime?: string; list?: boolean }) => (await import('./commands/rollback')).rollback(sha, options, context)));

  for (const command of [...program.commands, ...node.commands]) command.exitOverride().configureOutput({ outputError: (text, write) => write(`nebula: ${text.replace(/^error: /, '')}`) });
  return program;
}

/** Writing to a closed pipe (`nebula ls --json | head -1`) is not an error worth a stack trace. */
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

// A terminal that does not say its size (a pseudo-terminal left at 0x0: script(1), some
// `docker exec -t`) had Ink lay every screen out 0 columns wide, one character per line, and
// clear the screen and its scrollback at every redraw (a frame taller than 0 rows). Such a
// terminal is taken as 80x24, as the tables already took it 80 wide; a resize sets the real size.
if (process.stdout.isTTY && !process.stdout.columns) process.stdout.columns = 80;
if (process.stdout.isTTY && !process.stdout.rows) process.stdout.rows = 24;

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // --help and --version "fail" with exit code 0; real usage errors were printed already.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    process.stderr.write(`nebula: ${describeError(error).message}\n`);
    process.exitCode = EXIT.failed;
  }
}
