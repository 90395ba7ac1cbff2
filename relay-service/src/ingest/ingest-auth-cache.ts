import type { IngestAuthRecord, Store } from "../store/store";

/**
 * Every domain's ingest credentials, in memory, so that the publish gate decides
 * synchronously: SRT asks inside libsrt's listen callback, which cannot wait for a store
 * query. Loaded at start; the ingest-auth API refreshes a domain after each write, before it
 * answers, so a 200 means the new credentials are in force.
 */
export class IngestAuthCache {
  private readonly byDomain = new Map<string, IngestAuthRecord>();

  constructor(private readonly store: Store) {}

  async load(): Promise<void> {
    this.byDomain.clear();
    for (const record of await this.store.listIngestAuth()) this.byDomain.set(record.domain, record);
  }

  /** Re-reads one domain from the store (the store stays the source of truth). */
  async refresh(domain: string): Promise<void> {
    const record = await this.store.getIngestAuth(domain);
    if (record) this.byDomain.set(domain, record);
    else this.byDomain.delete(domain);
  }

  get(domain: string): IngestAuthRecord | null {
    return this.byDomain.get(domain) ?? null;
  }
}
