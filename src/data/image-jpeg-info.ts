// What jpeg-js does not tell: a JPEG's component count (1 = grayscale) and its EXIF orientation,
// read from the markers before the first scan. Malformed EXIF is ignored (orientation 1).

/** A JPEG's frame header and orientation. */
export interface JpegInfo {
  width: number;
  height: number;
  /** 1 grayscale, 3 YCbCr/RGB, 4 CMYK/YCCK. */
  components: number;
  /** EXIF orientation 1..8 (1 when absent). */
  orientation: number;
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const APP1 = 0xe1;
/** Start-of-frame markers C0..CF, except DHT (C4), JPG (C8) and DAC (CC). */
const isStartOfFrame = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
/** Markers without a length: TEM and RST0..RST7. */
const isStandalone = (m: number) => m === 0x01 || (m >= 0xd0 && m <= 0xd7);

/** The frame header and EXIF orientation of a JPEG, or undefined when there is no frame header. */
export function readJpegInfo(bytes: Uint8Array): JpegInfo | undefined {
  if (bytes[0] !== 0xff || bytes[1] !== SOI) return undefined;
  let orientation = 1;
  let pos = 2;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) return undefined;
    const marker = bytes[pos + 1];
    if (marker === 0xff) {
      pos += 1; // fill byte
      continue;
    }
    if (marker === SOS || marker === EOI) return undefined;
    if (isStandalone(marker)) {
      pos += 2;
      continue;
    }
    const length = (bytes[pos + 2] << 8) | bytes[pos + 3];
    const body = bytes.subarray(pos + 4, pos + 2 + length);
    if (isStartOfFrame(marker) && body.length >= 6) {
      return { height: (body[1] << 8) | body[2], width: (body[3] << 8) | body[4], components: body[5], orientation };
    }
    if (marker === APP1) orientation = exifOrientation(body) ?? orientation;
    pos += 2 + length;
  }
  return undefined;
}

const ORIENTATION_TAG = 0x0112;

/** The orientation tag of IFD0 in an APP1 "Exif\0\0" segment (a TIFF structure), if readable. */
function exifOrientation(app1: Uint8Array): number | undefined {
  if (String.fromCharCode(...app1.subarray(0, 6)) !== "Exif\0\0") return undefined;
  const tiff = new DataView(app1.buffer, app1.byteOffset + 6, app1.length - 6);
  if (tiff.byteLength < 8) return undefined;
  const order = tiff.getUint16(0);
  if (order !== 0x4949 && order !== 0x4d4d) return undefined; // "II" little-endian, "MM" big-endian
  const little = order === 0x4949;
  const ifd = tiff.getUint32(4, little);
  if (ifd + 2 > tiff.byteLength) return undefined;
  const entries = tiff.getUint16(ifd, little);
  for (let i = 0; i < entries; i++) {
    const at = ifd + 2 + i * 12;
    if (at + 12 > tiff.byteLength) return undefined;
    if (tiff.getUint16(at, little) === ORIENTATION_TAG) {
      const value = tiff.getUint16(at + 8, little);
      return value >= 1 && value <= 8 ? value : undefined;
    }
  }
  return undefined;
}
