/** A PostgreSQL URL as it may be shown (logs, errors, status): user, host, port and database, never the password. */
export function describeStoreUrl(raw: string): string {
  try {
    const url = new URL(raw);
    url.password = "";
    url.search = "";
    url.hash = "";
    return url.toString();
  } catch {
    return "postgres://[unparseable URL]";
  }
}

/** Whether the URL itself carries a password (argv is visible to every local user; prefer ~/.pgpass, PGPASSFILE or the environment). */
export function urlHasPassword(raw: string): boolean {
  try {
    return new URL(raw).password !== "";
  } catch {
    return false;
  }
}
