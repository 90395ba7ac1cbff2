import { ApiFailure, ConsoleApi } from "./api.js";
import { byId, setChildren } from "./dom.js";
import { ConsoleView, type DomainData } from "./view.js";

// The token lives in sessionStorage only: gone when the tab closes, never in localStorage,
// a cookie or a URL.
const TOKEN_KEY = "liverelay.console.token";
const REFRESH_MS = 2_000;

const form = byId<HTMLFormElement>("signin");
const tokenInput = byId<HTMLInputElement>("token");
const signinError = byId<HTMLParagraphElement>("signin-error");
const signout = byId<HTMLButtonElement>("signout");
const status = byId<HTMLSpanElement>("status");
const domainsRoot = byId<HTMLDivElement>("domains");

let session: { api: ConsoleApi; view: ConsoleView; timer: ReturnType<typeof setTimeout> | undefined } | null = null;

form.addEventListener("submit", (event) => {
  event.preventDefault(); // the form never submits: the token must not travel in a URL or body
  const token = tokenInput.value.trim();
  if (token) void signIn(token);
});
signout.addEventListener("click", () => signOut(""));

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) void signIn(saved);

/** Checks the token with a first read; keeps it for the session only when the service accepts it. */
async function signIn(token: string): Promise<void> {
  const api = new ConsoleApi(token);
  showError("");
  try {
    await api.domains();
  } catch (err) {
    sessionStorage.removeItem(TOKEN_KEY);
    return showError(err instanceof ApiFailure && err.status === 401 ? "The service did not accept this token (401 Unauthorized)." : `Cannot sign in: ${message(err)}`);
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  tokenInput.value = "";
  form.hidden = true;
  signout.hidden = false;
  domainsRoot.hidden = false;
  session = { api, view: new ConsoleView(domainsRoot, api), timer: undefined };
  await refresh();
}

function signOut(reason: string): void {
  sessionStorage.removeItem(TOKEN_KEY);
  if (session) {
    clearTimeout(session.timer);
    session.view.destroy();
    session = null;
  }
  form.hidden = false;
  signout.hidden = true;
  domainsRoot.hidden = true;
  setChildren(status, "");
  showError(reason);
}

/**
 * Polls every 2 s, one refresh at a time: the SSE tail cannot carry the token (EventSource sends
 * no headers, and the token never goes in a URL), and these reads are cheap.
 */
async function refresh(): Promise<void> {
  const current = session;
  if (!current) return;
  try {
    const { items } = await current.api.domains();
    const data = await Promise.all(items.map((summary) => readDomain(current.api, summary)));
    if (session !== current) return;
    current.view.render(data);
    setChildren(status, `updated ${new Date().toLocaleTimeString()}`);
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 401) return signOut("The service no longer accepts this token: sign in again.");
    setChildren(status, `refresh failed: ${message(err)}`);
  }
  if (session === current) current.timer = setTimeout(() => void refresh(), REFRESH_MS);
}

/** A domain's streams and relays; what its summary says it has none of is not asked for (many idle domains stay cheap). */
async function readDomain(api: ConsoleApi, summary: DomainData["summary"]): Promise<DomainData> {
  const none = Promise.resolve({ items: [] });
  const [streams, relays, templates] = await Promise.all([
    summary.liveStreams > 0 ? api.streams(summary.domain) : none,
    summary.relayTemplates > 0 ? api.relays(summary.domain) : none,
    summary.relayTemplates > 0 ? api.templates(summary.domain) : Promise.resolve([]),
  ]);
  return { summary, streams: streams.items, relays: relays.items, templates };
}

function showError(text: string): void {
  setChildren(signinError, text);
  signinError.hidden = text === "";
}

const message = (err: unknown) => (err instanceof ApiFailure ? `${err.code}: ${err.message}` : String(err));
