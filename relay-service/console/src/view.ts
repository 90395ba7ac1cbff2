import type { DomainSummary, LiveStream, RelayStatus, RelayTemplate } from "@liverelay/api";
import type { ConsoleApi } from "./api.js";
import { el, setChildren } from "./dom.js";
import { hlsUrl, Preview } from "./preview.js";
import { SnapshotStrip } from "./snapshots.js";

/** What one refresh read of a domain. */
export interface DomainData {
  summary: DomainSummary;
  streams: LiveStream[];
  relays: RelayStatus[];
  templates: RelayTemplate[];
}

const KNOWN_STATES = new Set(["inactive", "waiting", "starting", "relaying", "retrying", "error"]);

/**
 * The domains, each with its live streams (preview, relays, snapshots) and the relays of streams
 * not live. Stream cards are kept across refreshes (a preview keeps playing); tables are redrawn.
 */
export class ConsoleView {
  private readonly domains = new Map<string, DomainSection>();

  constructor(
    private readonly root: HTMLElement,
    private readonly api: ConsoleApi,
  ) {}

  render(all: DomainData[]): void {
    const seen = new Set(all.map((d) => d.summary.domain));
    for (const [name, section] of this.domains) {
      if (!seen.has(name)) {
        section.destroy();
        this.domains.delete(name);
      }
    }
    if (all.length === 0) return setChildren(this.root, el("p", { className: "empty" }, "No domains yet: create a relay template or publish a stream."));
    const sections = all.map((data) => {
      let section = this.domains.get(data.summary.domain);
      if (!section) this.domains.set(data.summary.domain, (section = new DomainSection(data.summary.domain, this.api)));
      section.update(data);
      return section.element;
    });
    this.root.replaceChildren(...sections);
  }

  destroy(): void {
    for (const section of this.domains.values()) section.destroy();
    this.domains.clear();
    this.root.replaceChildren();
  }
}

class DomainSection {
  readonly element: HTMLElement;
  private readonly heading = el("h2");
  private readonly streamList = el("div", { className: "streams" });
  private readonly idle = el("div", { className: "idle-relays" });
  private readonly cards = new Map<string, StreamCard>();

  constructor(
    private readonly domain: string,
    private readonly api: ConsoleApi,
  ) {
    this.element = el("section", { className: "domain", dataset: { domain } }, this.heading, this.streamList, this.idle);
  }

  update({ summary, streams, relays, templates }: DomainData): void {
    setChildren(this.heading, summary.domain, el("span", { className: "counts" }, `${streams.length} live · ${summary.relayTemplates} relay templates`));
    const statusOf = new Map(relays.map((r) => [r.templateId, r]));
    const live = new Set(streams.map(streamId));
    for (const [id, card] of this.cards) {
      if (!live.has(id)) {
        card.destroy();
        this.cards.delete(id);
      }
    }
    const cards = [...streams].sort((a, b) => streamId(a).localeCompare(streamId(b))).map((stream) => {
      const id = streamId(stream);
      let card = this.cards.get(id);
      if (!card) this.cards.set(id, (card = new StreamCard(this.domain, stream, this.api)));
      card.update(stream, relayRows(templates.filter((t) => streamId(t) === id), statusOf));
      return card.element;
    });
    if (cards.length === 0) cards.push(el("p", { className: "empty" }, "No live streams."));
    this.streamList.replaceChildren(...cards);
    const idle = templates.filter((t) => !live.has(streamId(t)));
    setChildren(this.idle, idle.length > 0 && el("h3", {}, "Relays of streams not live"), idle.length > 0 && relayTable(relayRows(idle, statusOf), true));
  }

  destroy(): void {
    for (const card of this.cards.values()) card.destroy();
    this.cards.clear();
  }
}

class StreamCard {
  readonly element: HTMLElement;
  private readonly facts = el("p", { className: "facts" });
  private readonly relays = el("div", { className: "relays" });
  private readonly preview: Preview;
  private readonly snapshots: SnapshotStrip;

  constructor(domain: string, stream: LiveStream, api: ConsoleApi) {
    this.preview = new Preview(hlsUrl(domain, stream.appName, stream.streamName), api.authorization);
    this.snapshots = new SnapshotStrip(api, { domain, appName: stream.appName, streamName: stream.streamName });
    const title = el("h3", {}, `${stream.appName}/${stream.streamName}`);
    this.element = el("article", { className: "stream", dataset: { stream: streamId(stream) } }, title, this.facts, this.preview.element, this.relays, this.snapshots.element);
  }

  update(stream: LiveStream, rows: RelayRow[]): void {
    const size = stream.width && stream.height ? `${stream.width}×${stream.height}` : null;
    const codecs = [stream.videoCodec, stream.audioCodec].filter(Boolean).join(" + ") || "no media yet";
    setChildren(this.facts, [stream.protocol.toUpperCase(), codecs, size, `${stream.bitrateKbps} kbit/s`, `live since ${time(stream.startedAt)}`].filter(Boolean).join(" · "));
    setChildren(this.relays, rows.length > 0 ? relayTable(rows, false) : el("p", { className: "empty" }, "No relay templates for this stream."));
  }

  destroy(): void {
    this.preview.destroy();
    this.snapshots.destroy();
  }
}

interface RelayRow {
  template: RelayTemplate;
  status: RelayStatus | undefined;
}

const relayRows = (templates: RelayTemplate[], statusOf: Map<string, RelayStatus>): RelayRow[] =>
  templates.map((template) => ({ template, status: statusOf.get(template.id) }));

function relayTable(rows: RelayRow[], withStream: boolean): HTMLTableElement {
  const head = ["destination", ...(withStream ? ["stream"] : []), "state", "bitrate", "fps", "restarts"];
  const table = el("table", { className: "relay-table" }, el("thead", {}, el("tr", {}, ...head.map((h) => el("th", {}, h)))));
  const body = el("tbody");
  for (const { template, status } of rows) {
    const state = status?.state ?? "unknown";
    const error = status?.lastError;
    body.appendChild(
      el(
        "tr",
        { dataset: { templateId: template.id } },
        el("td", { title: template.description ?? "" }, destinationShown(template.destinationUrl)),
        withStream && el("td", {}, `${template.appName}/${template.streamName}`),
        el("td", {}, el("span", { className: `state state-${KNOWN_STATES.has(state) ? state : "other"}` }, state)),
        el("td", {}, status ? `${status.bitrateKbps} kbit/s` : ""),
        el("td", {}, status ? String(status.fps) : ""),
        el("td", {}, status ? String(status.restarts) : ""),
      ),
    );
    // The last error gets a row of its own: messages are long, and a column would squeeze them.
    if (error) {
      const cell = el("td", { className: "last-error" }, `${error.code}: ${error.message} (${time(error.at)})`);
      cell.colSpan = head.length;
      body.appendChild(el("tr", { className: "error-row", dataset: { templateId: template.id } }, cell));
    }
  }
  table.appendChild(body);
  return table;
}

/** Scheme and host only: the path and query hold the stream key, which the console never shows. */
function destinationShown(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return "(destination)";
  }
}

const streamId = (s: { appName: string; streamName: string }) => `${s.appName}/${s.streamName}`;
const time = (iso: string) => new Date(iso).toLocaleTimeString();
