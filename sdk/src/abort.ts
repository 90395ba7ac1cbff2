import { LiveRelayAbortError } from "./errors";

export const abortError = (what: string): LiveRelayAbortError => new LiveRelayAbortError(`${what}: aborted by the caller's signal`);

/** `promise`, unless `signal` aborts first (then LiveRelayAbortError). */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError("wait"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError("wait"));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/** The default sleep: a timer that is cleared when `signal` aborts, so nothing keeps the process alive. */
export function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
