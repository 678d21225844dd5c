/**
 * `beslutsarkiv serve` as a library: opens the archive read-only, starts the web app (src/web/app.ts)
 * on Node's HTTP server, and says where it listens. Loopback by default; any other address needs an
 * access token (generated unless given), as Jupyter does.
 */
import { serve as listen, type ServerType } from '@hono/node-server';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Hono } from 'hono';
import { openDatabase } from '../index.js';
import { createApp } from './app.js';

export interface ServeOptions {
  /** The archive database (read-only for pages; review writes take the writer lock). */
  db: string;
  /** 0: any free port. Default 8080. */
  port?: number;
  /** Default 127.0.0.1. Anything but a loopback address requires the access token. */
  host?: string;
  /** The access token (required on every request when set); generated when the host is not loopback. */
  token?: string;
  /** Who makes corrections made through the web app (default: the OS user running the server). */
  user?: string;
}

export interface RunningServer {
  /** Where it listens, with `?token=…` when a token is needed. */
  url: string;
  token?: string;
  close(): Promise<void>;
}

/** Whether a host name or address is the loopback interface. */
export function isLoopback(host: string): boolean {
  return /^(localhost|127(?:\.\d{1,3}){3}|::1|\[::1\])$/i.test(host);
}

/** The app and its read-only connection, without listening (for tests and benchmarks in process). */
export function createServer(options: ServeOptions & { cookieSuffix?: () => string }): { app: Hono; token?: string; close(): void } {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? (isLoopback(host) ? undefined : randomBytes(24).toString('base64url'));
  const db = openDatabase(options.db, { readonly: true, current: true });
  const app = createApp({ db, dbPath: resolve(options.db), token, loopback: isLoopback(host), cookieSuffix: options.cookieSuffix ?? (() => String(options.port ?? 8080)), user: options.user });
  return { app, token, close: () => db.close() };
}

/** Starts the web app; resolves once it listens. */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  let port = options.port ?? 8080;
  const { app, token, close } = createServer({ ...options, cookieSuffix: () => String(port) });
  let server: ServerType;
  try {
    server = await new Promise<ServerType>((ok, fail) => {
      const s = listen({ fetch: app.fetch, port, hostname: host }, () => ok(s));
      s.once('error', fail);
    });
  } catch (error) {
    close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new Error(`port ${port} on ${host} is in use: pass another --port (or 0 for any free one)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new Error(`${host} is not an address of this machine: pass another --host`);
    if (code === 'EACCES') throw new Error(`port ${port} needs privileges: pass a --port above 1023`);
    throw error;
  }
  port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const url = `http://${shown}:${port}/${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  return {
    url,
    token,
    close: () =>
      new Promise<void>((ok) => {
        const s = server as import('node:http').Server;
        s.close(() => {
          close();
          ok();
        });
        s.closeAllConnections?.();
      }),
  };
}
