import { test } from "vitest";
import pino from "pino";
import { spawnSync, spawn } from "node:child_process";
import { writeFileSync, appendFileSync } from "node:fs";
import { RtmpServer } from "../../../relay-service/src/rtmp";
import { flvFileHeader, flvTag } from "../../../relay-service/src/hub/flv";

test("smoke", async () => {
  const out = "/tmp/smoke/out.flv";
  let ended: string[] = [];
  const server = new RtmpServer({ host: "127.0.0.1", port: 0, logger: pino({ level: "debug" }), onPublish: (req) => {
    console.log("REQ", req.app, req.streamName, req.query.toString(), req.tcUrl);
    writeFileSync(out, flvFileHeader({ audio: true, video: true }));
    return { accept: true, sink: { onTag: (t, ts, p) => appendFileSync(out, flvTag(t, ts, p)), onEnd: (r) => ended.push(r) } };
  }});
  await server.listen();
  const args = process.env.GST ? null : ["-hide_banner", "-loglevel", "warning", "-re", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-f", "lavfi", "-i", "sine", "-c:v", "libx264", "-g", "60", "-c:a", "aac", "-t", "2", "-f", "flv", `rtmp://127.0.0.1:${server.port}/live/show?vhost=a.example.com`];
  const child = process.env.GST
    ? spawn("gst-launch-1.0", ["-q", "videotestsrc", "num-buffers=60", "!", "x264enc", "key-int-max=60", "tune=zerolatency", "!", "h264parse", "!", "flvmux", "name=m", "streamable=true", "!", "rtmp2sink", `location=rtmp://127.0.0.1:${server.port}/live/gst`, "audiotestsrc", "num-buffers=100", "!", "avenc_aac", "!", "aacparse", "!", "m."], { stdio: "inherit" })
    : spawn("ffmpeg", args!, { stdio: "inherit" });
  const code = await new Promise((r) => child.on("exit", r));
  await new Promise((r) => setTimeout(r, 300));
  console.log("exit", code, "ended", ended, "conns", server.connectionCount);
  await server.close();
  console.log(spawnSync("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name:format=duration", "-of", "compact", out]).stdout.toString());
}, 30000);
