import fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { startService, type ServiceHandle } from "../../helpers/service";
import { publishRtmp, waitFor } from "../../helpers/relay";
import { DOMAIN, mediaApi, workerPids } from "../processing/support";

const TOKEN = "env-token-must-not-leak-7f3a9c";
const OTHER_SECRET = "another-liverelay-setting-c41d";

const environOf = (pid: number) => fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
const cmdlineOf = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");

describe("child processes get a minimal environment (real service, real ffmpeg workers)", () => {
  let svc: ServiceHandle | undefined;
  afterAll(() => svc?.stop());

  it("no worker's /proc/<pid>/environ or cmdline holds LIVERELAY_API_TOKEN or any LIVERELAY_* variable", async () => {
    svc = await startService({ token: null, env: { LIVERELAY_API_TOKEN: TOKEN, LIVERELAY_TEST_SECRET: OTHER_SECRET } });
    const api = mediaApi(svc);
    expect((await api.putTemplate("sd", { appName: "live", video: { codec: "h264", height: 180, bitrateKbps: 200, gopSeconds: 2 }, audio: { codec: "aac", bitrateKbps: 64 } })).status).toBe(200);
    expect((await api.setRecording("live", { format: "flv", segmentSeconds: 60 })).status).toBe(200);
    const pub = publishRtmp(`rtmp://127.0.0.1:${svc.ready.rtmpPort}/live/cam?vhost=${DOMAIN}`, { seconds: 6 });
    // The transcoder and the recorder of `cam` (and the recorder of nothing else: renditions are not recorded).
    const pids = await waitFor("two ffmpeg workers", () => {
      const found = workerPids(svc!, "ffmpeg");
      return found.length >= 2 && found;
    }, 30_000);

    for (const pid of pids) {
      const environ = environOf(pid);
      expect(environ.some((v) => v.startsWith("PATH="))).toBe(true); // the environment is minimal, not empty
      expect(environ.filter((v) => v.startsWith("LIVERELAY_") || v.includes(TOKEN) || v.includes(OTHER_SECRET))).toEqual([]);
      expect(cmdlineOf(pid)).not.toContain(TOKEN);
    }
    await pub.exited;
  });
});
