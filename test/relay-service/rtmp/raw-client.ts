// A minimal scripted RTMP client for tests that need to misbehave in ways real
// encoders do not (go silent, reset the connection, send absurd sizes).
// It reuses the server's chunk writer/reader, which are symmetric.
import net from "node:net";
import { Amf0Object, Amf0Value, decodeAmf0, encodeAmf0 } from "../../../relay-service/src/media/amf0";
import { ChunkReader } from "../../../relay-service/src/rtmp/chunk-reader";
import { ChunkWriter } from "../../../relay-service/src/rtmp/chunk-writer";
import { MessageType, RtmpMessage } from "../../../relay-service/src/rtmp/protocol";
import { waitFor } from "../../helpers/media";

export interface ReceivedCommand {
  name: string;
  transactionId: number;
  values: Amf0Value[];
  streamId: number;
}

export class RawRtmpClient {
  readonly received: RtmpMessage[] = [];
  closed = false;
  private readonly writer = new ChunkWriter();
  private readonly reader = new ChunkReader((m) => this.received.push(m));
  private handshakeBytes: Buffer[] = [];
  private handshakeDone = false;
  private nextTransactionId = 1;

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (d: Buffer) => this.onData(d));
    socket.on("close", () => (this.closed = true));
    socket.on("error", () => undefined);
  }

  static async connect(port: number): Promise<RawRtmpClient> {
    const socket = net.connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return new RawRtmpClient(socket);
  }

  private onData(data: Buffer): void {
    if (this.handshakeDone) {
      this.reader.push(data);
      return;
    }
    this.handshakeBytes.push(data);
    const all = Buffer.concat(this.handshakeBytes);
    if (all.length < 3073) return;
    this.handshakeDone = true;
    this.handshakeBytes = [all.subarray(0, 3073)];
    if (all.length > 3073) this.reader.push(all.subarray(3073));
  }

  /** C0+C1, wait for S0+S1+S2, send C2 (a copy of S1). Returns S0+S1+S2. */
  async handshake(): Promise<Buffer> {
    const c1 = Buffer.alloc(1536, 0x5a);
    c1.writeUInt32BE(0, 0);
    c1.writeUInt32BE(0, 4);
    this.socket.write(Buffer.concat([Buffer.of(3), c1]));
    await waitFor(() => this.handshakeDone, { what: "S0+S1+S2" });
    const s0s1s2 = this.handshakeBytes[0];
    this.socket.write(s0s1s2.subarray(1, 1537));
    return s0s1s2;
  }

  send(message: RtmpMessage): void {
    this.socket.write(this.writer.encode(message));
  }

  sendCommand(name: string, values: Amf0Value[], streamId = 0): number {
    const transactionId = this.nextTransactionId++;
    this.send({
      chunkStreamId: 3, type: MessageType.CommandAmf0, streamId, timestamp: 0,
      payload: encodeAmf0(name, transactionId, ...values),
    });
    return transactionId;
  }

  commands(): ReceivedCommand[] {
    return this.received
      .filter((m) => m.type === MessageType.CommandAmf0)
      .map((m) => {
        const [name, transactionId, ...values] = decodeAmf0(m.payload);
        return { name: name as string, transactionId: transactionId as number, values, streamId: m.streamId };
      });
  }

  async waitForCommand(predicate: (c: ReceivedCommand) => boolean, what: string): Promise<ReceivedCommand> {
    return waitFor(() => this.commands().find(predicate), { what, timeoutMs: 5000 });
  }

  /** connect → createStream → publish; resolves with the onStatus info object. */
  async publish(app: string, streamName: string): Promise<{ streamId: number; status: Amf0Object }> {
    const connectTx = this.sendCommand("connect", [{ app, tcUrl: `rtmp://127.0.0.1/${app}`, type: "nonprivate" }]);
    await this.waitForCommand((c) => c.name === "_result" && c.transactionId === connectTx, "connect _result");
    const createTx = this.sendCommand("createStream", [null]);
    const created = await this.waitForCommand((c) => c.name === "_result" && c.transactionId === createTx, "createStream _result");
    const streamId = created.values[1] as number;
    this.sendCommand("publish", [null, streamName, "live"], streamId);
    const status = await this.waitForCommand((c) => c.name === "onStatus", "publish onStatus");
    return { streamId, status: status.values[1] as Amf0Object };
  }

  /** Sends one audio or video message on `streamId` (chunk stream 4 / 6). */
  sendMedia(type: 8 | 9, streamId: number, timestamp: number, payload: Buffer): void {
    this.send({ chunkStreamId: type === 8 ? 4 : 6, type, streamId, timestamp, payload });
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    await waitFor(() => this.closed, { what: "socket close", timeoutMs });
  }
}
