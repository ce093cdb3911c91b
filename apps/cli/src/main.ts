import { pathToFileURL } from 'node:url';
import { createFoleyClient } from '@foley/client';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { cancel, status } from './commands/status';
import { submit } from './commands/submit';
import { usage } from './commands/usage';
import { EXIT, errorMessage, exitCodeFor } from './exit-codes';
import type { Io } from './io';

interface GlobalOptions {
  apiUrl?: string;
  apiKey?: string;
  json?: boolean;
}

const CLI_RETRIES = 2;

const positiveSeconds = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
};

/** The CLI as a function of argv, env and streams, so tests can run it in-process too. */
export async function run(argv: string[], env: Record<string, string | undefined>, io: Io): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command('foley')
    .description('Dub videos with sound through the Foley API')
    .option(
      '--api-url <url>',
      'Foley API base URL (env FOLEY_API_URL)',
      env.FOLEY_API_URL ?? 'http://127.0.0.1:3000',
    )
    // No default from the environment: commander prints defaults in --help, and help follows every usage error.
    .option('--api-key <key>', 'API key (env FOLEY_API_KEY)')
    .option('--json', 'machine-readable output on stdout')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError();
  const key = (g: GlobalOptions) => g.apiKey ?? env.FOLEY_API_KEY;
  const client = (cmd: Command) => {
    const g = cmd.optsWithGlobals<GlobalOptions>();
    return {
      api: createFoleyClient({
        apiUrl: g.apiUrl ?? 'http://127.0.0.1:3000',
        ...(key(g) ? { apiKey: key(g) } : {}),
        // A person is waiting: a down API is reported after a couple of quick retries, not many.
        retries: CLI_RETRIES,
      }),
      json: g.json,
    };
  };

  program
    .command('submit')
    .description('submit video URLs, local .mp4/.mov files, or one .jsonl/.csv batch file')
    .argument('<inputs...>')
    .option('--prompt <text>', 'sound effect prompt for every item')
    .option('--music <text>', 'background music prompt for every item')
    .option('--asmr', 'ASMR mode for every item')
    .option('--atomic', 'reject the whole batch if any item is invalid')
    .option('--dry-run', 'validate and price only: print what would be accepted and cost')
    .option('--wait', 'wait for the batch to end, with a progress bar')
    .option('--out <dir>', 'with --wait: download each completed video and audio into DIR')
    .option('--poll <seconds>', 'with --wait: seconds between polls', positiveSeconds, 1)
    .option('--timeout <seconds>', 'with --wait: stop waiting after this long', positiveSeconds, 24 * 3600)
    .action(async (inputs: string[], o, cmd: Command) => {
      const { api, json } = client(cmd);
      code = await submit(
        api,
        inputs,
        { ...o, json, pollMs: Math.round(o.poll * 1000), timeoutMs: Math.round(o.timeout * 1000) },
        io,
      );
    });
  program
    .command('status')
    .description('show a job or a batch')
    .argument('<id>', 'job_… or bat_…')
    .action(async (id: string, _o, cmd: Command) => {
      const { api, json } = client(cmd);
      code = await status(api, id, { json }, io);
    });
  program
    .command('usage')
    .description('your spend (USD) and job counts over UTC days; default: this month')
    .option('--from <date>', 'first day, YYYY-MM-DD (UTC)')
    .option('--to <date>', 'last day, YYYY-MM-DD (UTC, inclusive)')
    .option('--group-by <what>', 'day or batch')
    .action(async (o: { from?: string; to?: string; groupBy?: string }, cmd: Command) => {
      const { api, json } = client(cmd);
      if (o.groupBy !== undefined && o.groupBy !== 'day' && o.groupBy !== 'batch')
        throw new InvalidArgumentError('--group-by must be day or batch');
      code = await usage(api, { ...o, groupBy: o.groupBy as 'day' | 'batch' | undefined, json }, io);
    });
  program
    .command('cancel')
    .description('cancel a job, or every unfinished job of a batch')
    .argument('<id>', 'job_… or bat_…')
    .action(async (id: string, _o, cmd: Command) => {
      const { api, json } = client(cmd);
      code = await cancel(api, id, { json }, io);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    io.stderr.write(`${errorMessage(error)}\n`);
    return exitCodeFor(error);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run(process.argv.slice(2), process.env, { stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = EXIT.api;
    },
  );
}
