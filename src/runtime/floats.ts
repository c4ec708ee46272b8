// Float formats: IEEE 754 half precision (float16), which tensors carry as their bit patterns
// (Uint16Array), and the shortest decimal of a float32.

/** Rounds x to an integer, ties to even (x >= 0). */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const rest = x - f;
  return rest > 0.5 || (rest === 0.5 && f % 2 === 1) ? f + 1 : f;
}

/** IEEE 754 half bits of a number, rounded to nearest (ties to even); too large becomes infinity. */
export function halfBits(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  // subnormal: a = m * 2^-24, m < 1024 (rounding up to 1024 yields the smallest normal, 0x0400)
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24);
  if (a === Infinity) return sign | 0x7c00;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  // normal: a = (1 + m / 1024) * 2^e
  let m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | m;
}

/** The number a half's bits encode. */
export function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/**
 * The shortest decimal that reads back as the same float32: 0.1 rather than 0.10000000149011612.
 * (Whether p significant digits read back only grows with p, so the shortest is found by bisection.)
 */
export function float32ToNumber(x: number): number {
  if (!Number.isFinite(x) || (Number.isInteger(x) && Math.abs(x) <= 2 ** 24)) return x;
  let lo = 1;
  let hi = 9; // 9 significant digits always read back
  while (lo < hi) {
    const p = (lo + hi) >> 1;
    if (Math.fround(Number(x.toPrecision(p))) === x) hi = p;
    else lo = p + 1;
  }
  return Number(x.toPrecision(lo));
}
