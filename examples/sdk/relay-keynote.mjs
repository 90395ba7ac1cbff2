// @ts-check
// Relays the `live/keynote` stream to one destination during a two-hour window, shows it,
// waits for it to relay, and cleans up. Run after `npm run build`:
//
//   LIVERELAY_ENDPOINT=http://127.0.0.1:8080 LIVERELAY_TOKEN=… \
//   DESTINATION_URL=rtmp://a.rtmp.youtube.com/live2/xxxx-xxxx-xxxx \
//   node examples/sdk/relay-keynote.mjs
import { URL } from "node:url";
import { ConflictError, createClient, redactUrl, TimeoutError } from "@liverelay/sdk";

const endpoint = process.env.LIVERELAY_ENDPOINT ?? "http://127.0.0.1:8080";
const token = process.env.LIVERELAY_TOKEN;
const domain = process.env.LIVERELAY_DOMAIN ?? "shows.example.com";
const destinationUrl = process.env.DESTINATION_URL ?? "rtmp://a.rtmp.youtube.com/live2/example-stream-key";
if (!token) {
  console.error("set LIVERELAY_TOKEN (the service prints where it wrote its token at startup)");
  process.exit(2);
}

const client = createClient({ baseUrl: endpoint, token });
/** @param {Date} date */
const seconds = (date) => date.toISOString().replace(/\.\d{3}Z$/, "Z");
const now = new Date();
const input = {
  appName: "live",
  streamName: "keynote",
  destinationUrl,
  mode: /** @type {const} */ ("time"),
  startTime: seconds(now),
  endTime: seconds(new Date(now.getTime() + 2 * 3_600_000)),
  description: "keynote to YouTube",
};

let template;
try {
  template = await client.relayTemplates.create(domain, input);
} catch (err) {
  if (!(err instanceof ConflictError) || err.field !== "destinationUrl") throw err;
  // Already there (a previous run): find it by its destination and reuse it with the new window.
  const { items } = await client.relayTemplates.list(domain, { appName: "live", streamName: "keynote", destinationUrl });
  template = await client.relayTemplates.update(domain, items[0].id, { mode: "time", startTime: input.startTime, endTime: input.endTime });
}
// Destination URLs hold stream keys: redact them before printing.
console.log(`template ${template.id}: ${template.appName}/${template.streamName} → ${redactUrl(template.destinationUrl)} from ${template.startTime} to ${template.endTime}`);

try {
  console.log(`templates of ${domain}:`);
  for await (const t of client.relayTemplates.list(domain)) {
    console.log(`  ${t.id}  ${t.appName}/${t.streamName}  ${t.mode}  ${redactUrl(t.destinationUrl)}`);
  }
  const { destinationUrls } = await client.quota.get(domain);
  console.log(`quota: ${destinationUrls.used} of ${destinationUrls.limit} destination URLs`);

  const rtmpHost = new URL(endpoint).hostname;
  console.log(`publish to rtmp://${rtmpHost}/live/keynote (e.g. with OBS or ffmpeg) within 60 s to see it relay…`);
  try {
    const status = await client.relayTemplates.waitForState(domain, template.id, "relaying", { deadlineMs: 60_000, pollIntervalMs: 2_000 });
    console.log(`relaying at ${status.bitrateKbps} kbps, ${status.fps} fps`);
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    console.log(`not relaying yet: ${err.message}`);
  }
} finally {
  await client.relayTemplates.delete(domain, template.id);
  console.log(`deleted ${template.id}`);
}
