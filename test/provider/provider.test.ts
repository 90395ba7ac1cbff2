import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createClient, type LiveRelayClient } from "../../sdk/src";
import { startService, type ServiceHandle } from "../helpers/service";
import { isoIn, loadProviderPackage, sleep, STREAM_KEY } from "./support";

// The provider's methods called directly (the built package: `npx tsc -b sdk provider` first),
// against the real service where they talk to it.

const pkg = loadProviderPackage();
const provider = pkg.relayTemplateProvider;
type Inputs = import("@liverelay/pulumi").ProviderInputs;
type Outputs = import("@liverelay/pulumi").RelayTemplateOutputs;

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const DOMAIN = "shows.example.com";
const dest = (n: string) => `rtmp://a.rtmp.youtube.com/live2/${STREAM_KEY}-${n}`;

const inputs = (over: Partial<Inputs> = {}): Inputs => ({
  domain: DOMAIN,
  appName: "live",
  streamName: "keynote",
  destinationUrl: dest("a"),
  mode: "time",
  startTime: "2026-12-01T09:00:00Z",
  endTime: "2026-12-01T12:00:00Z",
  ...over,
});

const configure = (endpoint?: string, token?: string) =>
  provider.configure!({
    config: {
      get: (k: string) => ({ "liverelay:endpoint": endpoint, "liverelay:token": token })[k],
      require: () => {
        throw new Error("not used");
      },
    },
  });

/** What a new deployment (a new provider process) starts from: no template created or adopted yet. */
function newDeployment(): void {
  (globalThis as unknown as Record<symbol, unknown>)[Symbol.for("liverelay.pulumi.claims")] = {};
}

async function check(news: Partial<Inputs>, olds: Partial<Inputs> = {}) {
  return provider.check!(olds as Inputs, news as Inputs);
}

describe("check", () => {
  it("accepts a valid template and stores canonical times", async () => {
    const res = await check(inputs({ startTime: "2026-12-01T09:00:00.000Z", description: "keynote" }));
    expect(res.failures).toEqual([]);
    expect(res.inputs).toMatchObject({ startTime: "2026-12-01T09:00:00Z", endTime: "2026-12-01T12:00:00Z", description: "keynote" });
    expect((await check(inputs({ mode: "always", startTime: undefined, endTime: undefined }))).failures).toEqual([]);
  });

  it("reports each problem on its property, with the service's messages", async () => {
    const res = await check({
      domain: "Shows.example.com",
      appName: "li ve",
      destinationUrl: `http://example.com/live/${STREAM_KEY}`,
      mode: "time",
      startTime: "2026-12-01 09:00",
      description: "x".repeat(1025),
      adopt: "yes" as never,
    });
    const byProperty = Object.fromEntries(res.failures!.map((f) => [f.property, f.reason]));
    expect(byProperty).toMatchObject({
      domain: "domain must be lowercase",
      appName: "appName may contain only letters, digits, '_', '-' and '.'",
      streamName: "streamName is required",
      startTime: "startTime must be an RFC 3339 UTC timestamp such as 2026-12-01T09:00:00Z",
      description: "description must be at most 1024 characters",
      adopt: "adopt must be a boolean",
    });
    // destinationUrl goes without a property name: the engine would print its value (the stream key) next to it.
    expect(res.failures).toContainEqual({ property: "", reason: "destinationUrl scheme must be rtmp, rtmps or srt" });
    expect(JSON.stringify(res.failures)).not.toContain(STREAM_KEY);
  });

  it("applies the window rules", async () => {
    const reasons = async (over: Partial<Inputs>, olds?: Partial<Inputs>) => (await check(inputs(over), olds)).failures!.map((f) => `${f.property}: ${f.reason}`);
    expect(await reasons({ mode: "always" })).toEqual(['startTime: startTime is not allowed when mode is "always"', 'endTime: endTime is not allowed when mode is "always"']);
    expect(await reasons({ endTime: undefined })).toEqual(['endTime: endTime is required when mode is "time"']);
    expect(await reasons({ endTime: "2026-12-01T08:00:00Z" })).toEqual(["endTime: endTime must be later than startTime"]);
    expect(await reasons({ endTime: "2026-12-08T09:00:00Z" })).toEqual(["endTime: the window from startTime to endTime must be shorter than 7 days"]);
    expect(await reasons({ mode: "weekly" as never })).toEqual(['mode: mode must be "always" or "time"']);
  });

  it("'endTime must be in the future' only when the window is written", async () => {
    const past = { startTime: isoIn(-7_200_000), endTime: isoIn(-3_600_000) };
    const stored = (await check(inputs(past), inputs(past))).inputs!;
    const msg = ["endTime: endTime must be later than the current time"];
    const reasons = async (news: Partial<Inputs>, olds?: Partial<Inputs>) => (await check(news, olds)).failures!.map((f) => `${f.property}: ${f.reason}`);
    expect(await reasons(inputs(past))).toEqual(msg); // a new template
    expect(await reasons(inputs(past), stored)).toEqual([]); // unchanged: the stack stays quiet
    expect(await reasons(inputs({ ...past, description: "renamed" }), stored)).toEqual([]);
    expect(await reasons(inputs({ ...past, startTime: past.startTime.replace("Z", ".000Z") }), stored)).toEqual([]);
    expect(await reasons(inputs({ ...past, endTime: isoIn(-60_000) }), stored)).toEqual(msg); // changed
    expect(await reasons(inputs({ ...past, destinationUrl: dest("b") }), stored)).toEqual(msg); // a replacement creates
  });

  it("moves the create key on from the stored one, records the endpoint, flags a kept identity", async () => {
    await configure("http://relay.example:8080/", "tok");
    try {
      const fresh = (await check(inputs({ __idempotencyKey: "pulumi-base" }))).inputs!;
      expect(fresh).toMatchObject({ __idempotencyKey: "pulumi-base", endpoint: "http://relay.example:8080" });
      expect(fresh).not.toHaveProperty("__keepsIdentity");
      const next = (await check(inputs({ __idempotencyKey: "pulumi-base" }), fresh)).inputs!;
      expect(next.__idempotencyKey).toMatch(/^pulumi-[0-9a-f]{64}$/);
      // Deterministic: the same state gives the same key (a killed run, run again, replays its create).
      expect((await check(inputs({ __idempotencyKey: "pulumi-base" }), fresh)).inputs!.__idempotencyKey).toBe(next.__idempotencyKey);
      expect((await check(inputs({ __idempotencyKey: "pulumi-base" }), next)).inputs!.__idempotencyKey).not.toBe(next.__idempotencyKey);
      expect(next.__keepsIdentity).toBe(true);
      expect((await check(inputs({ destinationUrl: dest("other") }), fresh)).inputs).not.toHaveProperty("__keepsIdentity");
      expect((await check(inputs(), { ...fresh, endpoint: "http://old.example:8080" })).inputs).not.toHaveProperty("__keepsIdentity");
    } finally {
      await configure(undefined, undefined);
    }
  });

  it("tolerates unknown values during preview", async () => {
    const all = Object.fromEntries(Object.keys(inputs()).map((k) => [k, UNKNOWN])) as unknown as Inputs;
    expect((await check(all)).failures).toEqual([]);
    expect((await check(inputs({ destinationUrl: UNKNOWN, endTime: UNKNOWN, __idempotencyKey: UNKNOWN }))).failures).toEqual([]);
    expect((await check(inputs({ domain: UNKNOWN, startTime: "bad" }))).failures!.map((f) => f.property)).toEqual(["startTime"]);
  });
});

describe("diff", () => {
  const olds = (over: Partial<Outputs> = {}): Outputs => ({ ...inputs(), templateId: "rt_1", createdAt: "x", updatedAt: "x", ...over });
  const diff = (news: Partial<Inputs>, old: Outputs = olds()) => provider.diff!("rt_1", old, inputs(news));

  it("no changes: equal values, equivalent times, hidden inputs, adopt", async () => {
    expect(await diff({})).toMatchObject({ changes: false, replaces: [] });
    expect(await diff({ startTime: "2026-12-01T09:00:00.000Z", __idempotencyKey: "other", adopt: true })).toMatchObject({ changes: false, replaces: [] });
    expect(await diff({ description: undefined }, olds({ description: null as never }))).toMatchObject({ changes: false });
    expect(await diff({ __provider: "shim" } as never, { ...olds(), __provider: "shim" } as never)).toMatchObject({ changes: false });
    // A state from before the endpoint was recorded: not a change.
    expect(await diff({ endpoint: "http://b.example:8080" })).toMatchObject({ changes: false });
  });

  it("a state written before the shim (another `__provider`) updates once, in place", async () => {
    expect(await diff({ __provider: pkg.providerShim("RelayTemplate") } as never, { ...olds(), __provider: "exports.handler = __f0; …" } as never)).toEqual({
      changes: true, replaces: [], deleteBeforeReplace: true,
    });
  });

  it("another endpoint replaces (created first: it is another service)", async () => {
    const old = olds({ endpoint: "http://a.example:8080" });
    expect(await diff({ endpoint: "http://b.example:8080" }, old)).toEqual({ changes: true, replaces: ["endpoint"], deleteBeforeReplace: false });
    expect(await diff({ endpoint: "http://a.example:8080" }, old)).toMatchObject({ changes: false });
  });

  it("replaceOnChanges (passed as a hidden input) turns a change of those fields into a replacement", async () => {
    expect(await diff({ description: "new", __replaceOnChanges: ["description"] })).toEqual({ changes: true, replaces: ["description"], deleteBeforeReplace: true });
    expect(await diff({ endTime: "2026-12-01T13:00:00Z", __replaceOnChanges: ["*"] })).toMatchObject({ replaces: ["endTime"] });
    expect(await diff({ endTime: "2026-12-01T13:00:00Z", __replaceOnChanges: ["description"] })).toMatchObject({ changes: true, replaces: [] });
    expect(await diff({ __replaceOnChanges: ["description"] })).toMatchObject({ changes: false });
  });

  it("schedule and description update in place", async () => {
    expect(await diff({ endTime: "2026-12-01T13:00:00Z" })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: true });
    expect(await diff({ description: "new" })).toMatchObject({ changes: true, replaces: [] });
    expect(await diff({ mode: "always", startTime: undefined, endTime: undefined })).toMatchObject({ changes: true, replaces: [] });
    expect(await diff({ endTime: UNKNOWN })).toMatchObject({ changes: true, replaces: [] });
  });

  it("protocolConversion updates in place; absent and false are the same (the service's default)", async () => {
    expect(await diff({ protocolConversion: true })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: true });
    expect(await diff({ protocolConversion: false })).toMatchObject({ changes: false });
    expect(await diff({}, olds({ protocolConversion: true }))).toMatchObject({ changes: true, replaces: [] });
    expect((await check(inputs({ protocolConversion: "yes" as never }))).failures!.map((f) => f.property)).toEqual(["protocolConversion"]);
  });

  it("identity fields replace", async () => {
    expect(await diff({ destinationUrl: dest("b") })).toEqual({ changes: true, replaces: ["destinationUrl"], deleteBeforeReplace: false });
    expect((await diff({ domain: "other.example.com", streamName: "k2" })).replaces).toEqual(["domain", "streamName"]);
    expect((await diff({ destinationUrl: UNKNOWN })).replaces).toEqual(["destinationUrl"]);
  });
});

describe("connection", () => {
  afterEach(() => configure(undefined, undefined));

  it("a missing endpoint or token is a clear error naming the config keys", async () => {
    await configure(undefined, undefined);
    const saved = { e: process.env.LIVERELAY_ENDPOINT, t: process.env.LIVERELAY_TOKEN };
    delete process.env.LIVERELAY_ENDPOINT;
    delete process.env.LIVERELAY_TOKEN;
    try {
      await expect(provider.create(inputs())).rejects.toThrow(/liverelay:endpoint.*LIVERELAY_ENDPOINT.*liverelay:token.*LIVERELAY_TOKEN/);
      await configure("http://127.0.0.1:1", undefined);
      await expect(provider.delete!("rt_1", inputs() as Outputs)).rejects.toThrow(/not configured: set the API token \(`pulumi config set --secret liverelay:token/);
      await configure("ftp://nope", "tok");
      await expect(provider.delete!("rt_1", inputs() as Outputs)).rejects.toThrow(/liverelay:endpoint "ftp:\/\/nope" is not usable/);
    } finally {
      Object.assign(process.env, saved.e ? { LIVERELAY_ENDPOINT: saved.e } : {}, saved.t ? { LIVERELAY_TOKEN: saved.t } : {});
    }
  });

  it("the state holds a one-line shim, never the token or the endpoint", async () => {
    await configure("http://127.0.0.1:1", "tok_never_serialized");
    const shim = pkg.providerShim("RelayTemplate");
    expect(shim).toBe('exports.handler = function () { return require("@liverelay/pulumi/provider").providers["RelayTemplate"]; };\n');
    const m = { exports: {} as { handler: () => unknown } };
    new Function("exports", "require", shim)(m.exports, require);
    expect(m.exports.handler()).toBe(provider);
    expect(JSON.stringify(provider)).not.toContain("tok_never_serialized");
  });
});

describe("create, read, update, delete against the service", () => {
  let svc: ServiceHandle;
  let client: LiveRelayClient;
  const future = () => ({ startTime: isoIn(3_600_000), endTime: isoIn(7_200_000) });

  beforeAll(async () => {
    svc = await startService();
    client = createClient({ baseUrl: svc.url, token: svc.token });
  });
  beforeEach(() => configure(svc.url, svc.token));
  afterAll(async () => {
    await configure(undefined, undefined);
    await svc?.stop();
  });

  const count = async (destinationUrl: string) => (await client.relayTemplates.list(DOMAIN, { destinationUrl })).items.length;

  it("create is idempotent on the resource's key; a replayed but deleted template is created again", async () => {
    const news = inputs({ ...future(), destinationUrl: dest("idem"), __idempotencyKey: "pulumi-test-idem" });
    const first = await provider.create(news);
    expect(first.outs).toMatchObject({ templateId: first.id, destinationUrl: dest("idem"), mode: "time", startTime: news.startTime });
    expect(first.outs).not.toHaveProperty("description"); // JSON-clean: no null, no undefined
    // The same create again (a lost response, a crashed run): the same template, no 409, no duplicate.
    expect((await provider.create(news)).id).toBe(first.id);
    expect(await count(dest("idem"))).toBe(1);
    // Patched since: the replayed (older) response is brought back to the declared schedule.
    await client.relayTemplates.update(DOMAIN, first.id, { description: "by hand" });
    const replay = await provider.create(news);
    expect(replay.id).toBe(first.id);
    expect((await client.relayTemplates.get(DOMAIN, first.id)).description).toBeNull();
    // Deleted since: the service still replays the first response for 24 h; the provider notices.
    await client.relayTemplates.delete(DOMAIN, first.id);
    const again = await provider.create(news);
    expect(again.id).not.toBe(first.id);
    expect((await client.relayTemplates.get(DOMAIN, again.id)).destinationUrl).toBe(dest("idem"));
    // That run was killed before the engine wrote its state: run again, it arrives at the same template.
    expect((await provider.create(news)).id).toBe(again.id);
    // Deleted, then declared with another schedule: the key was used with another body (409) — a fresh key.
    await client.relayTemplates.delete(DOMAIN, again.id);
    const changed = { ...news, endTime: isoIn(9_000_000) };
    const third = await provider.create(changed);
    expect(third.id).not.toBe(again.id);
    expect((await provider.create(changed)).id).toBe(third.id);
    expect(await count(dest("idem"))).toBe(1);
  });

  it("a replacement never gets the template it replaces; created first with the identity kept, it fails clearly", async () => {
    const declared = inputs({ ...future(), destinationUrl: dest("repl"), __idempotencyKey: "pulumi-test-repl" });
    const news = (await check(declared)).inputs!;
    const first = await provider.create(news);
    // `--replace`: the engine checks the same declaration against the state, then creates before deleting.
    const replacement = (await check(declared, news)).inputs!;
    for (const adopt of [false, true]) {
      const err = (await provider.create({ ...replacement, adopt }).catch((e: Error) => e)) as Error;
      expect(err.message).toMatch(/creating the replacement of relay template .* 409 Conflict: .*must delete first: remove `deleteBeforeReplace: false`/);
    }
    expect(await count(dest("repl"))).toBe(1);
    // Deleted first (the default): a new template, never the old id.
    newDeployment();
    await provider.delete!(first.id, first.outs!);
    const replaced = await provider.create(replacement);
    expect(replaced.id).not.toBe(first.id);
    expect((await client.relayTemplates.get(DOMAIN, replaced.id)).destinationUrl).toBe(dest("repl"));
  });

  it("two resources of one stack declaring one template: whichever of adopt and the other's diff runs second fails", async () => {
    const first = await provider.create((await check(inputs({ ...future(), destinationUrl: dest("twice"), __idempotencyKey: "pulumi-test-one" }))).inputs!);
    await provider.diff!(first.id, first.outs!, first.outs!);
    const second = (await check(inputs({ ...future(), destinationUrl: dest("twice"), adopt: true, __idempotencyKey: "pulumi-test-two" }))).inputs!;
    await expect(provider.create(second)).rejects.toThrow(/adopting relay template .* managed by another resource of this stack\. .*remove one of the two declarations/);

    const third = await provider.create((await check(inputs({ ...future(), destinationUrl: dest("twice-b"), __idempotencyKey: "pulumi-test-three" }))).inputs!);
    const adopted = await provider.create((await check(inputs({ ...future(), destinationUrl: dest("twice-b"), adopt: true, __idempotencyKey: "pulumi-test-four" }))).inputs!);
    expect(adopted.id).toBe(third.id);
    await expect(provider.diff!(third.id, third.outs!, third.outs!)).rejects.toThrow(/was adopted by another resource of this stack in this run/);
  });

  it("a rename followed by `adopt: true`: the old name's delete leaves the template to the new name", async () => {
    const before = await provider.create((await check(inputs({ ...future(), destinationUrl: dest("rename"), __idempotencyKey: "pulumi-test-before" }))).inputs!);
    const after = await provider.create((await check(inputs({ ...future(), destinationUrl: dest("rename"), adopt: true, __idempotencyKey: "pulumi-test-after" }))).inputs!);
    expect(after.id).toBe(before.id);
    await provider.delete!(before.id, before.outs!);
    expect((await client.relayTemplates.get(DOMAIN, after.id)).id).toBe(after.id);
    // Its holder deletes it, in a later deployment.
    newDeployment();
    await provider.delete!(after.id, after.outs!);
    await expect(client.relayTemplates.get(DOMAIN, after.id)).rejects.toMatchObject({ status: 404 });
  });

  it("`--replace` with `deleteBeforeReplace: false`: the create that meets the live template it would replace refuses", async () => {
    // The engine checks a forced replacement without the old state: the same inputs as the first create.
    const declared = (await check(inputs({ ...future(), destinationUrl: dest("create-first"), __idempotencyKey: "pulumi-test-cf", __createFirst: true }))).inputs!;
    const first = await provider.create(declared);
    await sleep(1100);
    newDeployment();
    const err = (await provider.create(declared).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(new RegExp(`creating relay template .* failed: relay template ${first.id} already holds this stream and destination\\. With \`deleteBeforeReplace: false\``));
    expect(await count(dest("create-first"))).toBe(1);
    // Without the flag the same replay is a run that was killed after its create: it takes the template.
    expect((await provider.create({ ...declared, __createFirst: undefined })).id).toBe(first.id);
  });

  it("409 without adopt is a readable error; adopt takes the template over", async () => {
    const existing = await client.relayTemplates.create(DOMAIN, { appName: "live", streamName: "keynote", destinationUrl: dest("adopt"), mode: "always", description: "by hand" });
    const news = inputs({ ...future(), destinationUrl: dest("adopt"), description: "managed", __idempotencyKey: "pulumi-test-adopt" });
    const err = (await provider.create(news).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(/^LiveRelay: creating relay template for live\/keynote in shows\.example\.com failed: 409 Conflict: .* \(request req_[\w-]+\)\. .*set `adopt: true`/);
    expect(err.message).not.toContain(STREAM_KEY);
    expect(err.message).not.toContain(svc.token);
    expect(err).not.toHaveProperty("id"); // nothing was created: not a partial create

    const adopted = await provider.create({ ...news, adopt: true });
    expect(adopted.id).toBe(existing.id);
    expect(adopted.outs).toMatchObject({ mode: "time", startTime: news.startTime, description: "managed", adopt: true });
    expect(await count(dest("adopt"))).toBe(1);
    // adopt with nothing to adopt simply creates
    const fresh = await provider.create(inputs({ ...future(), destinationUrl: dest("adopt-new"), adopt: true }));
    expect((await client.relayTemplates.get(DOMAIN, fresh.id)).destinationUrl).toBe(dest("adopt-new"));
  });

  it("read shows drift, and an empty id once deleted out of band; update and delete", async () => {
    const created = await provider.create(inputs({ ...future(), destinationUrl: dest("crud") }));
    await client.relayTemplates.update(DOMAIN, created.id, { description: "drifted" });
    const read = await provider.read!(created.id, created.outs);
    expect(read).toMatchObject({ id: created.id, props: { description: "drifted", templateId: created.id, endpoint: svc.url } });
    // The inputs that describe what is there: a refresh makes the next preview show the drift per property.
    expect(read.inputs).toMatchObject({ description: "drifted", destinationUrl: dest("crud"), endpoint: svc.url });
    expect(read.inputs).not.toHaveProperty("templateId");

    const endTime = isoIn(10_000_000);
    const updated = await provider.update!(created.id, read.props!, inputs({ ...future(), destinationUrl: dest("crud"), endTime }));
    expect(updated.outs).toMatchObject({ endTime, templateId: created.id });
    expect(updated.outs).not.toHaveProperty("description");

    await client.relayTemplates.delete(DOMAIN, created.id);
    expect(await provider.read!(created.id, created.outs)).toEqual({ id: "" });
    await expect(provider.delete!(created.id, created.outs!)).resolves.toBeUndefined(); // already gone is fine
    await expect(provider.update!(created.id, created.outs!, inputs({ ...future(), destinationUrl: dest("crud") }))).rejects.toThrow(
      /updating relay template .* failed: 404 NotFound: .*\(request req_[\w-]+\)\. It was deleted outside Pulumi: run `pulumi refresh`/,
    );
  });
});

describe("a failure after the remote create", () => {
  const BASE = "http://api.liverelay.test";
  const TEMPLATES = `/v1/domains/${DOMAIN}/relay-templates`;
  const body = {
    id: "rt_partial", domain: DOMAIN, appName: "live", streamName: "keynote", destinationUrl: dest("p"), mode: "always",
    startTime: null, endTime: null, description: null, createdAt: "2026-11-01T09:00:00Z", updatedAt: "2026-11-01T09:00:00Z",
  };
  beforeEach(() => {
    nock.disableNetConnect();
    return configure(BASE, "tok_partial");
  });
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
    return configure(undefined, undefined);
  });

  it("records a partial create (id and properties), leaving no orphan", async () => {
    nock(BASE).post(TEMPLATES).reply(201, body);
    nock(BASE).get(`${TEMPLATES}/rt_partial`).times(4).reply(500, { error: { code: "Internal", message: "boom", requestId: "req_p" } });
    const err = (await provider.create(inputs({ mode: "always", startTime: undefined, endTime: undefined, destinationUrl: dest("p") })).catch((e) => e)) as Error & {
      id?: string;
      properties?: Record<string, unknown>;
      reasons?: string[];
    };
    expect(err.id).toBe("rt_partial");
    expect(err.properties).toMatchObject({ templateId: "rt_partial", domain: DOMAIN, mode: "always" });
    expect(err.message).toMatch(/finishing the creation of relay template .* failed: 500 Internal: boom \(request req_p\)/);
    expect(err.reasons).toEqual([err.message]);
  }, 20_000);

  it("a lost response is retried with the same idempotency key", async () => {
    const keys: string[] = [];
    nock(BASE).post(TEMPLATES).replyWithError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    nock(BASE)
      .post(TEMPLATES)
      .reply(function () {
        keys.push(String(this.req.headers["idempotency-key"]));
        return [201, body];
      });
    nock(BASE).get(`${TEMPLATES}/rt_partial`).reply(200, body);
    const res = await provider.create(inputs({ mode: "always", startTime: undefined, endTime: undefined, destinationUrl: dest("p"), __idempotencyKey: "pulumi-k1" }));
    expect(res.id).toBe("rt_partial");
    expect(keys).toEqual(["pulumi-k1"]);
  }, 20_000);
});

describe("RelayTemplate idempotency key", () => {
  it("is a sha256 of the URN-like name and the identity", () => {
    const key = (name: string, destinationUrl: string) =>
      pkg.relayTemplateIdempotencyKey({ project: "p", stack: "dev", name }, { domain: DOMAIN, appName: "live", streamName: "keynote", destinationUrl });
    expect(key("yt", dest("a"))).toMatch(/^pulumi-[0-9a-f]{64}$/);
    expect(key("yt", dest("a"))).toBe(key("yt", dest("a")));
    expect(key("yt", dest("b"))).not.toBe(key("yt", dest("a")));
    expect(key("tw", dest("a"))).not.toBe(key("yt", dest("a")));
    expect(key("yt", dest("a"))).not.toContain(STREAM_KEY);
  });
});
