import type { RelayTemplate } from "@liverelay/api";

/** `always`, or startTime ≤ now < endTime. */
export function isActive(t: Pick<RelayTemplate, "mode" | "startTime" | "endTime">, now: Date): boolean {
  if (t.mode === "always") return true;
  const at = now.getTime();
  return Date.parse(t.startTime!) <= at && at < Date.parse(t.endTime!);
}
