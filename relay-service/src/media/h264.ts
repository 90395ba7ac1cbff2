// H.264 NAL units and the AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1): what
// converts an Annex B stream (MPEG-TS) to length-prefixed frames plus a record (FLV) and back.
import { readLengthArray, writeLengthArray, type NalCodec } from "./nal";

export const H264_NAL = { IDR: 5, SEI: 6, SPS: 7, PPS: 8, AUD: 9 } as const;

/** The first SPS and PPS define the record; other types are never parameter sets here. */
export const H264: NalCodec = {
  name: "h264",
  nalType: (nal) => nal[0] & 0x1f,
  isParameterSet: (type) => type === H264_NAL.SPS || type === H264_NAL.PPS,
  isDelimiter: (type) => type === H264_NAL.AUD,
  isKeyframe: (type) => type === H264_NAL.IDR,
  delimiter: Buffer.from([H264_NAL.AUD, 0xf0]), // primary_pic_type 7: any slice type
  configRecord(parameterSets) {
    const sps = parameterSets.filter((n) => (n[0] & 0x1f) === H264_NAL.SPS);
    const pps = parameterSets.filter((n) => (n[0] & 0x1f) === H264_NAL.PPS);
    return sps.length > 0 && pps.length > 0 ? avcDecoderConfig(sps, pps) : null;
  },
  readConfigRecord: readAvcDecoderConfig,
};

/** An AVCDecoderConfigurationRecord with 4-byte NAL lengths. */
export function avcDecoderConfig(sps: Buffer[], pps: Buffer[]): Buffer {
  const first = sps[0];
  if (!first || first.length < 4) throw new RangeError("an SPS of at least 4 bytes is needed");
  const head = Buffer.from([1, first[1], first[2], first[3], 0xfc | 3, 0xe0 | sps.length]);
  return Buffer.concat([head, writeLengthArray(sps), Buffer.from([pps.length]), writeLengthArray(pps)]);
}

export function readAvcDecoderConfig(record: Buffer): { lengthSize: number; parameterSets: Buffer[] } | null {
  if (record.length < 7 || record[0] !== 1) return null;
  const sps = readLengthArray(record, 6, record[5] & 0x1f);
  if (!sps || sps.end >= record.length) return null;
  const pps = readLengthArray(record, sps.end + 1, record[sps.end]);
  if (!pps) return null;
  return { lengthSize: (record[4] & 0x03) + 1, parameterSets: [...sps.items, ...pps.items] };
}
