import type { IngestAuthRecord, IngestSettingsRecord, Store } from "../store/store";

/**
 * One per-domain record kind, in memory, so that the publish gate decides synchronously: SRT
 * asks inside libsrt's listen callback, which cannot wait for a store query. Loaded at start;
 * the API refreshes a domain after each write, before it answers, so a 200 means the new
 * record is in force. The store stays the source of truth.
 */
class DomainRecordCache<R extends { domain: string }> {
  private byDomain = new Map<string, R>();

  constructor(private readonly source: { list: () => Promise<R[]>; get: (domain: string) => Promise<R | null> }) {}

  /** Loads every domain (at start, and on a resync): swapped in whole, so no publish sees a half-empty cache. */
  async load(): Promise<void> {
    this.byDomain = new Map((await this.source.list()).map((record) => [record.domain, record]));
  }

  /** Re-reads one domain from the store. */
  async refresh(domain: string): Promise<void> {
    const record = await this.source.get(domain);
    if (record) this.byDomain.set(domain, record);
    else this.byDomain.delete(domain);
  }

  get(domain: string): R | null {
    return this.byDomain.get(domain) ?? null;
  }
}

/** Every domain's ingest credentials (URL-signing key, SRT passphrase, play key). */
export class IngestAuthCache extends DomainRecordCache<IngestAuthRecord> {
  constructor(store: Store) {
    super({ list: () => store.listIngestAuth(), get: (domain) => store.getIngestAuth(domain) });
  }
}

/** Every domain's ingest settings; a domain without a record has every setting off. */
export class IngestSettingsCache extends DomainRecordCache<IngestSettingsRecord> {
  constructor(store: Store) {
    super({ list: () => store.listIngestSettings(), get: (domain) => store.getIngestSettings(domain) });
  }

  publisherTakeover(domain: string): boolean {
    return this.get(domain)?.publisherTakeover ?? false;
  }

  openPlayback(domain: string): boolean {
    return this.get(domain)?.openPlayback ?? false;
  }
}
