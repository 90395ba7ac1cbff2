// hls.js is loaded by index.html as a classic script from this origin (dist/console/hls.light.min.js),
// which defines the global `Hls`; only its types are imported here.
import type HlsClass from "hls.js";

declare global {
  const Hls: typeof HlsClass;
}
export {};
