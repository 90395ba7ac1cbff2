// AMF0 (Action Message Format 0) encoder and decoder: the serialisation RTMP
// uses for commands (connect, publish, ...) and for script data (onMetaData).
//
// JS mapping: number, boolean, string (short or long), plain object, ECMA array
// (a plain object tagged with AMF0_ECMA_ARRAY so it round-trips), strict array
// (JS array), null, undefined, Date. Everything the decoder reads comes from
// the network, so every length is checked against the bytes actually present
// before anything is allocated.

export type Amf0Value =
  | number
  | boolean
  | string
  | null
  | undefined
  | Date
  | Amf0Value[]
  | Amf0Object;

export interface Amf0Object {
  [key: string]: Amf0Value;
}

export class Amf0Error extends Error {
  override name = "Amf0Error";
}

const Marker = {
  Number: 0x00,
  Boolean: 0x01,
  String: 0x02,
  Object: 0x03,
  Null: 0x05,
  Undefined: 0x06,
  EcmaArray: 0x08,
  ObjectEnd: 0x09,
  StrictArray: 0x0a,
  Date: 0x0b,
  LongString: 0x0c,
} as const;

/** Non-enumerable tag: the object was (or should be) an ECMA array on the wire. */
export const AMF0_ECMA_ARRAY: unique symbol = Symbol("amf0.ecmaArray");

/** Marks `obj` so encodeAmf0 writes it as an ECMA array (what onMetaData uses). */
export function ecmaArray<T extends Amf0Object>(obj: T): T {
  Object.defineProperty(obj, AMF0_ECMA_ARRAY, { value: true, enumerable: false });
  return obj;
}

export function isEcmaArray(value: unknown): boolean {
  return typeof value === "object" && value !== null && AMF0_ECMA_ARRAY in value;
}

/** Assigns without ever invoking the `__proto__` setter for hostile keys. */
function setOwn(obj: Amf0Object, key: string, value: Amf0Value): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

// Nesting deeper than this is not produced by any encoder we know; it only
// serves to blow the stack.
const MAX_DEPTH = 64;

export class Amf0Reader {
  private offset: number;

  constructor(private readonly buf: Buffer, offset = 0) {
    this.offset = offset;
  }

  get position(): number {
    return this.offset;
  }

  get done(): boolean {
    return this.offset >= this.buf.length;
  }

  readValue(depth = 0): Amf0Value {
    if (depth > MAX_DEPTH) throw new Amf0Error("AMF0 nesting too deep");
    const marker = this.u8();
    switch (marker) {
      case Marker.Number:
        return this.double();
      case Marker.Boolean:
        return this.u8() !== 0;
      case Marker.String:
        return this.utf8(this.u16());
      case Marker.LongString:
        return this.utf8(this.u32());
      case Marker.Object:
        return this.properties({}, depth);
      case Marker.EcmaArray:
        this.u32(); // the count is only a hint; the object-end marker is authoritative
        return this.properties(ecmaArray({}), depth);
      case Marker.StrictArray:
        return this.strictArray(depth);
      case Marker.Null:
        return null;
      case Marker.Undefined:
        return undefined;
      case Marker.Date:
        return this.date();
      default:
        throw new Amf0Error(`unsupported AMF0 marker 0x${marker.toString(16)} at ${this.offset - 1}`);
    }
  }

  readAll(): Amf0Value[] {
    const values: Amf0Value[] = [];
    while (!this.done) values.push(this.readValue());
    return values;
  }

  private properties(target: Amf0Object, depth: number): Amf0Object {
    for (;;) {
      const key = this.utf8(this.u16());
      if (key === "" && this.peekU8() === Marker.ObjectEnd) {
        this.offset += 1;
        return target;
      }
      setOwn(target, key, this.readValue(depth + 1));
    }
  }

  private strictArray(depth: number): Amf0Value[] {
    const count = this.u32();
    // Each element takes at least one byte, so a larger count is a lie.
    if (count > this.buf.length - this.offset) throw new Amf0Error("AMF0 strict array count exceeds data");
    const items: Amf0Value[] = [];
    for (let i = 0; i < count; i++) items.push(this.readValue(depth + 1));
    return items;
  }

  private date(): Date {
    const ms = this.double();
    this.need(2); // time zone: reserved, always 0 in practice
    this.offset += 2;
    return new Date(ms);
  }

  private need(n: number): void {
    if (this.offset + n > this.buf.length) throw new Amf0Error("AMF0 data truncated");
  }

  private peekU8(): number {
    this.need(1);
    return this.buf[this.offset];
  }

  private u8(): number {
    this.need(1);
    return this.buf[this.offset++];
  }

  private u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  private u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  private double(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  private utf8(length: number): string {
    this.need(length);
    const s = this.buf.toString("utf8", this.offset, this.offset + length);
    this.offset += length;
    return s;
  }
}

/** Decodes every value in `buf` (a command or data message body). */
export function decodeAmf0(buf: Buffer): Amf0Value[] {
  return new Amf0Reader(buf).readAll();
}

/** Encodes the values back to back, as a command or data message body. */
export function encodeAmf0(...values: Amf0Value[]): Buffer {
  const parts: Buffer[] = [];
  for (const v of values) writeValue(parts, v, 0);
  return Buffer.concat(parts);
}

function writeValue(out: Buffer[], value: Amf0Value, depth: number): void {
  if (depth > MAX_DEPTH) throw new Amf0Error("AMF0 nesting too deep");
  if (value === null) out.push(Buffer.of(Marker.Null));
  else if (value === undefined) out.push(Buffer.of(Marker.Undefined));
  else if (typeof value === "number") out.push(numberBytes(value));
  else if (typeof value === "boolean") out.push(Buffer.of(Marker.Boolean, value ? 1 : 0));
  else if (typeof value === "string") out.push(stringBytes(value));
  else if (value instanceof Date) out.push(dateBytes(value));
  else if (Array.isArray(value)) writeStrictArray(out, value, depth);
  else writeObject(out, value, depth);
}

function numberBytes(value: number): Buffer {
  const b = Buffer.alloc(9);
  b[0] = Marker.Number;
  b.writeDoubleBE(value, 1);
  return b;
}

function stringBytes(value: string): Buffer {
  const body = Buffer.from(value, "utf8");
  if (body.length <= 0xffff) return Buffer.concat([u8u16(Marker.String, body.length), body]);
  const head = Buffer.alloc(5);
  head[0] = Marker.LongString;
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

function dateBytes(value: Date): Buffer {
  const b = Buffer.alloc(11);
  b[0] = Marker.Date;
  b.writeDoubleBE(value.getTime(), 1);
  return b;
}

function u8u16(a: number, b: number): Buffer {
  const buf = Buffer.alloc(3);
  buf[0] = a;
  buf.writeUInt16BE(b, 1);
  return buf;
}

function writeStrictArray(out: Buffer[], items: Amf0Value[], depth: number): void {
  const head = Buffer.alloc(5);
  head[0] = Marker.StrictArray;
  head.writeUInt32BE(items.length, 1);
  out.push(head);
  for (const item of items) writeValue(out, item, depth + 1);
}

function writeObject(out: Buffer[], obj: Amf0Object, depth: number): void {
  const keys = Object.keys(obj);
  if (isEcmaArray(obj)) {
    const head = Buffer.alloc(5);
    head[0] = Marker.EcmaArray;
    head.writeUInt32BE(keys.length, 1);
    out.push(head);
  } else {
    out.push(Buffer.of(Marker.Object));
  }
  for (const key of keys) {
    const name = Buffer.from(key, "utf8");
    if (name.length > 0xffff) throw new Amf0Error("AMF0 property name longer than 65535 bytes");
    const len = Buffer.alloc(2);
    len.writeUInt16BE(name.length);
    out.push(len, name);
    writeValue(out, obj[key], depth + 1);
  }
  out.push(Buffer.of(0x00, 0x00, Marker.ObjectEnd));
}
