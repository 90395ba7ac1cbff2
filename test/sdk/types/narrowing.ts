// Type-level expectations on the SDK as published (resolved through the package's `exports`
// to its declaration files). Checked by test/sdk/types.test.ts with `tsc --strict`: each
// `@ts-expect-error` must hit an error, and every other line must compile — so this file stops
// compiling if a discriminated union stops narrowing, or an open enum closes.
import {
  ApiError,
  createClient,
  isKnownRelayStatus,
  type ApiErrorCode,
  type LiveRelayClient,
  type Page,
  type RelayState,
  type RelayStatus,
  type RelayTemplate,
  type TimeRelayTemplate,
} from "@liverelay/sdk";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(_proof?: T): void => undefined;

declare const template: RelayTemplate;
// @ts-expect-error -- before narrowing, startTime may be null
void template.startTime.length;
if (template.mode === "time") {
  const start: string = template.startTime; // narrowed: a string
  assertType<Equal<typeof template, TimeRelayTemplate>>();
  void start;
} else {
  const none: null = template.startTime;
  void none;
}

declare const status: RelayStatus;
// Open: a state from a newer service is a RelayState, and known ones are still offered.
const future: RelayState = "paused-by-operator";
const known: RelayState = "relaying";
void future;
void known;
// @ts-expect-error -- lastError is optional on a status in general
void status.lastError.message;
if (isKnownRelayStatus(status) && status.state === "error") {
  const why: string = status.lastError.message; // narrowed: an error status has lastError
  void why;
}
if (isKnownRelayStatus(status)) {
  // @ts-expect-error -- once known, a state that does not exist is a mistake
  void (status.state === "relayin");
}

declare const err: ApiError;
// err.code: known codes plus any string.
const code: ApiErrorCode = err.code;
if (err.code === "QuotaExceeded" || err.code === "SomeFutureCode") void code;

async function pages(client: LiveRelayClient): Promise<void> {
  const page = await client.relayTemplates.list("shows.example.com", { limit: 10 });
  assertType<Equal<typeof page, Page<RelayTemplate>>>();
  const more: boolean = page.hasNextPage();
  if (more) {
    const next: Page<RelayTemplate> = await page.getNextPage();
    void next;
  }
  for await (const t of client.relayTemplates.list("shows.example.com")) {
    const id: string = t.id;
    void id;
  }
  await client.relayTemplates.get("shows.example.com", "rt_1", { signal: AbortSignal.timeout(1_000), timeoutMs: 5_000, maxRetries: 1, headers: { "x-trace": "1" }, idempotencyKey: "k" });
  await client.relayTemplates.waitForState("shows.example.com", "rt_1", ["relaying", "some-new-state"], { deadlineMs: 60_000, pollIntervalMs: 500 });
  // @ts-expect-error -- the deadline is deadlineMs now; timeoutMs alone is each poll's timeout
  await client.relayTemplates.waitForState("shows.example.com", "rt_1", "relaying", { timeoutMs: 60_000 });
}
void pages(createClient({ baseUrl: "http://127.0.0.1:1", token: "t", defaultHeaders: { "x-team": "media" } }));
