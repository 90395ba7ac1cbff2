import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { freePort, tmpDir, waitFor, type Proc } from "./relay";

export { startNginxRtmp, parseStat, type NginxRtmp, type NginxRtmpOptions } from "../../bench/nginx-rtmp";

export interface TestCa {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** A throw-away CA and a server certificate it signed, by default for 127.0.0.1 / localhost (openssl). */
export function makeTestCa(subjectAltName = "IP:127.0.0.1,DNS:localhost", dir = tmpDir("liverelay-ca-")): TestCa {
  const f = (n: string) => path.join(dir, n);
  const run = (args: string[]) => {
    const res = spawnSync("openssl", args, { encoding: "utf8" });
    if (res.status !== 0) throw new Error(`openssl ${args[0]} failed: ${res.stderr}`);
  };
  run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f("ca.key"), "-out", f("ca.pem"), "-days", "2", "-subj", "/CN=LiveRelay test CA"]);
  run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", "/CN=localhost"]);
  fs.writeFileSync(f("ext.cnf"), `subjectAltName=${subjectAltName}\n`);
  run(["x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-out", f("server.pem"), "-days", "2", "-extfile", f("ext.cnf")]);
  return { caFile: f("ca.pem"), certFile: f("server.pem"), keyFile: f("server.key") };
}

/** stunnel terminating TLS on a free port and forwarding to `connectPort`: an rtmps:// endpoint. */
export async function startStunnel(connectPort: number, ca: TestCa): Promise<Proc & { port: number }> {
  const dir = tmpDir("liverelay-stunnel-");
  const port = await freePort();
  const conf = `foreground = yes
pid = ${dir}/stunnel.pid
debug = 3
[rtmps]
accept = 127.0.0.1:${port}
connect = 127.0.0.1:${connectPort}
cert = ${ca.certFile}
key = ${ca.keyFile}
`;
  fs.writeFileSync(path.join(dir, "stunnel.conf"), conf);
  const child = spawn("stunnel4", [path.join(dir, "stunnel.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-8192)));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  await waitFor("stunnel listening", async () => {
    if (child.exitCode !== null) throw new Error(`stunnel exited: ${err}`);
    const net = await import("node:net");
    return new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
  }, 10_000);
  return {
    child, port, exited, stderr: () => err,
    async kill(signal = "SIGTERM") {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
