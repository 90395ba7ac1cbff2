import net from "node:net";
import util from "node:util";
import nock from "nock";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { createClient, type ClientOptions } from "../../sdk/src";

export const BASE = "http://api.liverelay.test";
export const TOKEN = "lrt_SUPERSECRET_TOKEN_0123456789";
export const STREAM_KEY = "sk-live-STREAMKEY-8f3a9c";
export const DOMAIN = "shows.example.com";
export const DEST = `rtmp://a.rtmp.youtube.com/live2/${STREAM_KEY}`;
export const TEMPLATES = `/v1/domains/${DOMAIN}/relay-templates`;

export const template = (over: Record<string, unknown> = {}) => ({
  id: "rt_abc",
  domain: DOMAIN,
  appName: "live",
  streamName: "keynote",
  destinationUrl: DEST,
  mode: "always",
  startTime: null,
  endTime: null,
  description: null,
  protocolConversion: false,
  createdAt: "2026-11-01T09:00:00Z",
  updatedAt: "2026-11-01T09:00:00Z",
  ...over,
});

export const errorBody = (code: string, message: string, field?: string, requestId = "req_abc") => ({
  error: { code, message, ...(field ? { field } : {}), requestId },
});

/** A client against the nock host whose sleeps are recorded, not waited. */
export function testClient(options: Partial<ClientOptions> = {}) {
  const sleeps: number[] = [];
  const client = createClient({
    baseUrl: BASE,
    token: TOKEN,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
  return { client, sleeps };
}

export const api = () => nock(BASE);

/** Call once at the top of a test file: nothing leaves the process, and every test starts with no interceptors. */
export function useNock(): void {
  beforeAll(() => {
    nock.disableNetConnect();
  });
  afterEach(() => {
    nock.cleanAll();
  });
  afterAll(() => {
    nock.enableNetConnect();
  });
}

/** Runs `fn`, expecting it to throw; returns the error. */
export async function caught(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected the call to throw");
}

/** The token and the stream key appear in no rendering of the error, and no cause is attached. */
export function expectNoSecrets(err: unknown) {
  const e = err as Error;
  const renderings = [String(e), e.message, e.stack ?? "", JSON.stringify(e), util.inspect(e, { depth: Infinity, showHidden: true })];
  for (const text of renderings) {
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(STREAM_KEY);
    expect(text).not.toMatch(/authorization/i);
  }
  expect((e as { cause?: unknown }).cause).toBeUndefined();
}

/** A local port with nothing listening. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
