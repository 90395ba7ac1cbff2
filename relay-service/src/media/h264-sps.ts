// The picture size of an H.264 stream, from its sequence parameter set (ITU-T H.264 7.3.2.1.1),
// for the streams API. Only the fields before the size and cropping are walked; the VUI is not.
import { PesPrefix, nalHeaderOffsets } from "./mpegts";
import { unescapeRbsp } from "./nal";

export interface PictureSize {
  width: number;
  height: number;
}

const NAL_SPS = 7;
// Profiles whose SPS carries chroma format, bit depths and scaling matrices.
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Reads an RBSP bit by bit: fixed-width fields and Exp-Golomb codes. */
class BitReader {
  private bit = 0;
  constructor(private readonly bytes: Buffer) {}

  u(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.bytes[this.bit >> 3];
      if (byte === undefined) throw new RangeError("SPS ends early");
      v = v * 2 + ((byte >> (7 - (this.bit & 7))) & 1);
      this.bit++;
    }
    return v;
  }

  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) if (++zeros > 31) throw new RangeError("bad Exp-Golomb code");
    return 2 ** zeros - 1 + this.u(zeros);
  }

  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -k / 2;
  }
}

/** Width and height (after cropping) from an SPS NAL unit (header byte included); null if malformed. */
export function spsPictureSize(nal: Buffer): PictureSize | null {
  try {
    return readSps(new BitReader(unescapeRbsp(nal.subarray(1))));
  } catch {
    return null;
  }
}

function readSps(r: BitReader): PictureSize {
  const profile = r.u(8);
  r.u(16); // constraint flags, level
  r.ue(); // seq_parameter_set_id
  let chroma = 1;
  let separatePlanes = 0;
  if (HIGH_PROFILES.has(profile)) {
    chroma = r.ue();
    if (chroma === 3) separatePlanes = r.u(1);
    r.ue(); // bit_depth_luma_minus8
    r.ue(); // bit_depth_chroma_minus8
    r.u(1); // qpprime_y_zero_transform_bypass_flag
    if (r.u(1)) skipScalingMatrices(r, chroma === 3 ? 12 : 8);
  }
  r.ue(); // log2_max_frame_num_minus4
  skipPictureOrderCount(r);
  r.ue(); // max_num_ref_frames
  r.u(1); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.ue() + 1;
  const heightMapUnits = r.ue() + 1;
  const frameMbsOnly = r.u(1);
  if (!frameMbsOnly) r.u(1); // mb_adaptive_frame_field_flag
  r.u(1); // direct_8x8_inference_flag
  const crop = r.u(1) ? { left: r.ue(), right: r.ue(), top: r.ue(), bottom: r.ue() } : { left: 0, right: 0, top: 0, bottom: 0 };
  const monochrome = chroma === 0 || separatePlanes === 1;
  const cropX = monochrome ? 1 : chroma === 3 ? 1 : 2;
  const cropY = (monochrome ? 1 : chroma === 1 ? 2 : 1) * (2 - frameMbsOnly);
  return {
    width: widthMbs * 16 - (crop.left + crop.right) * cropX,
    height: (2 - frameMbsOnly) * heightMapUnits * 16 - (crop.top + crop.bottom) * cropY,
  };
}

function skipScalingMatrices(r: BitReader, count: number): void {
  for (let i = 0; i < count; i++) {
    if (!r.u(1)) continue;
    let last = 8;
    let next = 8;
    for (let j = 0; j < (i < 6 ? 16 : 64); j++) {
      if (next !== 0) next = (last + r.se() + 256) % 256;
      last = next === 0 ? last : next;
    }
  }
}

function skipPictureOrderCount(r: BitReader): void {
  const type = r.ue();
  if (type === 0) {
    r.ue(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (type === 1) {
    r.u(1); // delta_pic_order_always_zero_flag
    r.se(); // offset_for_non_ref_pic
    r.se(); // offset_for_top_to_bottom_field
    const cycle = r.ue();
    for (let i = 0; i < cycle; i++) r.se();
  }
}

/** Looks for the SPS at the start of a video PES (encoders repeat it before every keyframe). */
export class SpsFinder {
  private readonly prefix = new PesPrefix();

  /** The picture size once found; null while looking (check `gaveUp`). */
  push(payload: Buffer): PictureSize | null {
    const es = this.prefix.push(payload);
    if (!es) return null;
    const starts = nalHeaderOffsets(es);
    for (let k = 0; k < starts.length - 1; k++) {
      // Parsed only once the next start code shows the SPS is complete.
      if ((es[starts[k]] & 0x1f) === NAL_SPS) return spsPictureSize(es.subarray(starts[k], starts[k + 1] - 3));
    }
    return null;
  }

  get gaveUp(): boolean {
    return this.prefix.exhausted;
  }
}
