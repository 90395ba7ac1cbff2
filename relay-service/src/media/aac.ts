// AAC framing: ADTS (MPEG-TS carries one header per frame) and the AudioSpecificConfig that
// FLV and MP4 carry once instead (ISO/IEC 14496-3 1.6.2.1 and 1.A.2).

export const AAC_SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
/** Samples per AAC frame (AAC LC, HE-AAC's core). */
export const AAC_FRAME_SAMPLES = 1024;

export interface AacConfig {
  /** Audio object type: 2 = AAC LC. */
  objectType: number;
  sampleRateIndex: number;
  channels: number;
}

/** A two-byte AudioSpecificConfig. */
export function audioSpecificConfig(c: AacConfig): Buffer {
  return Buffer.from([(c.objectType << 3) | (c.sampleRateIndex >> 1), ((c.sampleRateIndex & 1) << 7) | (c.channels << 3)]);
}

/** The fields of an AudioSpecificConfig ADTS can carry; null when it needs an escape (object type ≥ 31, explicit rate). */
export function readAudioSpecificConfig(asc: Buffer): AacConfig | null {
  if (asc.length < 2) return null;
  const objectType = asc[0] >> 3;
  const sampleRateIndex = ((asc[0] & 0x07) << 1) | (asc[1] >> 7);
  const channels = (asc[1] >> 3) & 0x0f;
  if (objectType === 0 || objectType === 31 || sampleRateIndex >= AAC_SAMPLE_RATES.length) return null;
  return { objectType, sampleRateIndex, channels };
}

export const sampleRateOf = (c: AacConfig) => AAC_SAMPLE_RATES[c.sampleRateIndex];

const ADTS_HEADER_BYTES = 7;

/** A 7-byte ADTS header (no CRC) for one raw frame of `frameBytes`. ADTS holds profiles 1–4 only. */
export function adtsHeader(c: AacConfig, frameBytes: number): Buffer {
  const length = frameBytes + ADTS_HEADER_BYTES;
  if (length > 0x1fff) throw new RangeError("AAC frame too large for ADTS");
  const profile = Math.min(Math.max(c.objectType, 1), 4) - 1;
  return Buffer.from([
    0xff,
    0xf1, // sync, MPEG-4, layer 0, no CRC
    (profile << 6) | (c.sampleRateIndex << 2) | (c.channels >> 2),
    ((c.channels & 3) << 6) | (length >> 11),
    (length >> 3) & 0xff,
    ((length & 7) << 5) | 0x1f, // buffer fullness 0x7ff (VBR)
    0xfc, // ... and one raw data block
  ]);
}

export interface AdtsFrame {
  config: AacConfig;
  data: Buffer;
}

/** The raw frames of consecutive ADTS frames (a PES payload); stops at the first bad or cut header. */
export function splitAdts(es: Buffer): AdtsFrame[] {
  const frames: AdtsFrame[] = [];
  let at = 0;
  while (at + ADTS_HEADER_BYTES <= es.length && es[at] === 0xff && (es[at + 1] & 0xf6) === 0xf0) {
    const headerBytes = es[at + 1] & 0x01 ? 7 : 9; // protection_absent = 0 adds a CRC
    const length = ((es[at + 3] & 0x03) << 11) | (es[at + 4] << 3) | (es[at + 5] >> 5);
    if (length < headerBytes || at + length > es.length) break;
    const config = { objectType: (es[at + 2] >> 6) + 1, sampleRateIndex: (es[at + 2] >> 2) & 0x0f, channels: ((es[at + 2] & 1) << 2) | (es[at + 3] >> 6) };
    frames.push({ config, data: es.subarray(at + headerBytes, at + length) });
    at += length;
  }
  return frames;
}
