import { describe, expect, it } from "vitest";
import {
  Amf0Error, Amf0Value, decodeAmf0, ecmaArray, encodeAmf0, isEcmaArray,
} from "../../../relay-service/src/media/amf0";

const hex = (b: Buffer) => b.toString("hex");

describe("AMF0 encoding", () => {
  it("writes each type with its marker", () => {
    expect(hex(encodeAmf0(1))).toBe("003ff0000000000000");
    expect(hex(encodeAmf0(true, false))).toBe("01010100");
    expect(hex(encodeAmf0("ab"))).toBe("0200026162");
    expect(hex(encodeAmf0(null, undefined))).toBe("0506");
    expect(hex(encodeAmf0({ a: 1 }))).toBe("03" + "000161" + "003ff0000000000000" + "000009");
    expect(hex(encodeAmf0(ecmaArray({ a: 1 })))).toBe("0800000001" + "000161" + "003ff0000000000000" + "000009");
    expect(hex(encodeAmf0([1, "x"]))).toBe("0a00000002" + "003ff0000000000000" + "02000178");
  });

  it("switches to a long string above 65535 bytes", () => {
    const long = "é".repeat(40_000); // 80 000 UTF-8 bytes
    const bytes = encodeAmf0(long);
    expect(bytes[0]).toBe(0x0c);
    expect(bytes.readUInt32BE(1)).toBe(80_000);
    expect(decodeAmf0(bytes)).toEqual([long]);
  });
});

describe("AMF0 round trip", () => {
  const values: Amf0Value[] = [
    0, -1.5, 1e300, Number.MAX_SAFE_INTEGER, true, false, "", "héllo ✓", null, undefined,
    { app: "live", nested: { deep: [1, { x: null }] }, empty: {} },
    [], ["a", 2, false, null, undefined, [3]],
    new Date(1_700_000_000_000),
  ];

  it.each(values.map((v) => [v]))("%j", (value) => {
    expect(decodeAmf0(encodeAmf0(value))).toEqual([value]);
  });

  it("keeps an ECMA array an ECMA array", () => {
    const meta = ecmaArray({ width: 640, height: 360, encoder: "x" });
    const [decoded] = decodeAmf0(encodeAmf0("onMetaData", meta)).slice(1);
    expect(decoded).toEqual({ width: 640, height: 360, encoder: "x" });
    expect(isEcmaArray(decoded)).toBe(true);
    expect(encodeAmf0(decoded)).toEqual(encodeAmf0(meta));
    expect(Object.keys(decoded as object)).toEqual(["width", "height", "encoder"]); // tag stays hidden
  });

  it("decodes a sequence of values back to back", () => {
    const seq: Amf0Value[] = ["connect", 1, { app: "live" }, null, "extra"];
    expect(decodeAmf0(encodeAmf0(...seq))).toEqual(seq);
  });
});

describe("AMF0 decoding of hostile input", () => {
  it("rejects truncated data", () => {
    const full = encodeAmf0({ app: "live" });
    for (let cut = 1; cut < full.length; cut++) {
      expect(() => decodeAmf0(full.subarray(0, cut)), `cut at ${cut}`).toThrow(Amf0Error);
    }
  });

  it("rejects a strict array count larger than the data", () => {
    expect(() => decodeAmf0(Buffer.from("0affffffff05", "hex"))).toThrow(Amf0Error);
  });

  it("ignores the ECMA array count and trusts the end marker", () => {
    const bytes = Buffer.from("08ffffffff" + "000161" + "0101" + "000009", "hex");
    expect(decodeAmf0(bytes)).toEqual([{ a: true }]);
  });

  it("rejects unknown markers and excessive nesting", () => {
    expect(() => decodeAmf0(Buffer.of(0x11))).toThrow(/unsupported AMF0 marker/);
    const nested = (depth: number) => Buffer.from("0a00000001".repeat(depth) + "05", "hex"); // [[[...null]]]
    expect(() => decodeAmf0(nested(30))).not.toThrow();
    expect(() => decodeAmf0(nested(100))).toThrow(/too deep/);
  });

  it("treats __proto__ as an ordinary key", () => {
    const bytes = Buffer.concat([Buffer.from("03", "hex"), Buffer.from("0009", "hex"), Buffer.from("__proto__"), encodeAmf0({ polluted: true }), Buffer.from("000009", "hex")]);
    const [obj] = decodeAmf0(bytes) as [Record<string, unknown>];
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(obj)).toEqual(["__proto__"]);
  });
});
