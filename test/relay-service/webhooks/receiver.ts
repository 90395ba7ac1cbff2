import http from "node:http";
import type { AddressInfo } from "node:net";
import { verifyWebhookSignature, type DomainEvent } from "../../../sdk/src";

/**
 * A real webhook receiver on loopback: verifies every delivery's signature with the SDK and
 * keeps the events (de-duplicated by id, as an at-least-once receiver must) in arrival order.
 */
export class Receiver {
  readonly events: DomainEvent[] = [];
  readonly rejected: string[] = [];
  deliveries = 0;
  /** Status to answer with; 200 unless a test wants a refusal. */
  status = 200;
  private server?: http.Server;
  port = 0;

  constructor(private readonly secret: () => string) {}

  async listen(port = 0): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.deliveries++;
        const raw = Buffer.concat(chunks);
        try {
          const event = verifyWebhookSignature(raw, req.headers["liverelay-signature"] as string, this.secret());
          if (this.status < 300 && !this.events.some((e) => e.id === event.id)) this.events.push(event);
        } catch (err) {
          this.rejected.push((err as Error).message);
          res.writeHead(400).end();
          return;
        }
        res.writeHead(this.status).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}/hook?token=receiver-token`;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }

  ofType<T extends DomainEvent["type"]>(type: T): Extract<DomainEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<DomainEvent, { type: T }> => e.type === type);
  }
}
