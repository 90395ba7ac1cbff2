// HEVC NAL units and the HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1).
import { readLengthArray, unescapeRbsp, writeLengthArray, type NalCodec } from "./nal";

export const HEVC_NAL = { VPS: 32, SPS: 33, PPS: 34, AUD: 35 } as const;
const PARAMETER_SET_TYPES: number[] = [HEVC_NAL.VPS, HEVC_NAL.SPS, HEVC_NAL.PPS];

export const HEVC: NalCodec = {
  name: "hevc",
  nalType: (nal) => (nal[0] >> 1) & 0x3f,
  isParameterSet: (type) => PARAMETER_SET_TYPES.includes(type),
  isDelimiter: (type) => type === HEVC_NAL.AUD,
  isKeyframe: (type) => type >= 16 && type <= 23, // IRAP: BLA, IDR, CRA
  delimiter: Buffer.from([HEVC_NAL.AUD << 1, 0x01, 0x50]), // pic_type 2: any slice type
  configRecord(parameterSets) {
    const byType = PARAMETER_SET_TYPES.map((t) => parameterSets.filter((n) => ((n[0] >> 1) & 0x3f) === t));
    return byType.every((sets) => sets.length > 0) ? hevcDecoderConfig(byType[0], byType[1], byType[2]) : null;
  },
  readConfigRecord: readHevcDecoderConfig,
};

/**
 * An HEVCDecoderConfigurationRecord with 4-byte NAL lengths. The profile, tier and level are
 * copied from the SPS's profile_tier_level; chroma format and bit depth are written as 4:2:0
 * 8-bit (decoders read them from the SPS carried in the record, not from these fields).
 */
export function hevcDecoderConfig(vps: Buffer[], sps: Buffer[], pps: Buffer[]): Buffer {
  const rbsp = unescapeRbsp(sps[0].subarray(2));
  if (rbsp.length < 13) throw new RangeError("SPS too short for a profile_tier_level");
  const maxSubLayersMinus1 = (rbsp[0] >> 1) & 0x07;
  const temporalIdNested = rbsp[0] & 0x01;
  const head = Buffer.alloc(23);
  head[0] = 1;
  rbsp.copy(head, 1, 1, 13); // general profile space/tier/idc, compatibility flags, constraint flags, level
  head.writeUInt16BE(0xf000, 13); // min_spatial_segmentation_idc 0
  head[15] = 0xfc; // parallelismType unknown
  head[16] = 0xfc | 1; // chroma_format_idc 4:2:0
  head[17] = 0xf8; // bit_depth_luma_minus8
  head[18] = 0xf8; // bit_depth_chroma_minus8
  head.writeUInt16BE(0, 19); // avgFrameRate unknown
  head[21] = ((maxSubLayersMinus1 + 1) << 3) | (temporalIdNested << 2) | 3; // lengthSizeMinusOne 3
  head[22] = 3; // arrays: VPS, SPS, PPS
  const arrays = [vps, sps, pps].map((nals, i) => {
    const arrayHead = Buffer.from([0x80 | PARAMETER_SET_TYPES[i], 0, nals.length]); // array_completeness 1
    return Buffer.concat([arrayHead, writeLengthArray(nals)]);
  });
  return Buffer.concat([head, ...arrays]);
}

export function readHevcDecoderConfig(record: Buffer): { lengthSize: number; parameterSets: Buffer[] } | null {
  if (record.length < 23) return null;
  const parameterSets: Buffer[] = [];
  let at = 23;
  for (let i = 0; i < record[22]; i++) {
    if (at + 3 > record.length) return null;
    const array = readLengthArray(record, at + 3, record.readUInt16BE(at + 1));
    if (!array) return null;
    parameterSets.push(...array.items);
    at = array.end;
  }
  return { lengthSize: (record[21] & 0x03) + 1, parameterSets };
}
