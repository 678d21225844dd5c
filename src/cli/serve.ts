/**
 * The `serve` command: argument parsing and the printed URL only (src/web does the work).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_DB_PATH, serve } from '../index.js';

type Io = { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };

function port(value: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n > 65535) throw new InvalidArgumentError('a port is a whole number from 0 (any free port) to 65535');
  return n;
}

/** Registers `serve` on the program. */
export function registerServeCommand(program: Command, io: Io = process): void {
  program
    .command('serve')
    .description('serve the archive as a local web app: trends, units, documents with evidence, search, review, runs (until Ctrl-C)')
    .addOption(new Option('--db <file>', 'SQLite database').default(DEFAULT_DB_PATH))
    .addOption(new Option('--port <n>', 'TCP port (0: any free port)').argParser(port).default(8080))
    .addOption(new Option('--host <address>', 'address to listen on; anything but loopback requires the access token printed in the URL').default('127.0.0.1'))
    .addOption(new Option('--token <token>', 'the access token to require (default: generated when --host is not loopback)'))
    .addOption(new Option('--user <name>', 'who corrections made in the web app are recorded as (default: the OS user)'))
    .action(async (o: { db: string; port: number; host: string; token?: string; user?: string }) => {
      const running = await serve({ db: o.db, port: o.port, host: o.host, token: o.token, user: o.user });
      io.stdout.write(`beslutsarkiv serve: ${running.url}\n`);
      await new Promise<void>((done) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          done();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await running.close();
    });
}
