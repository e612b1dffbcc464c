import type { NumberFormat } from './decimals.js';

/** A price level on the wire: `[price, size]`, both JSON numbers. */
export type BookLevel = [price: number, size: number];

/** Levels the checksum covers on each side, whatever depth a client follows. */
export const BOOK_CHECKSUM_LEVELS = 10;

/** CRC-32 lookup table of the IEEE 802.3 polynomial (reflected, 0xEDB88320). */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32 (IEEE 802.3, as zlib's crc32 and Python's zlib.crc32) of an ASCII
 * string, as an unsigned 32-bit integer. Written here rather than taken from
 * node:zlib because the protocol also runs in the browser.
 */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) crc = CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** A value written with `decimals` decimals, the decimal point removed and leading zeros stripped ("0.00100000" → "100000"). */
export function checksumDigits(value: number, decimals: number): string {
  return value.toFixed(decimals).replace('.', '').replace(/^0+/, '');
}

/**
 * The text the checksum is taken of, built as Kraken's v2 book checksum
 * builds it: the top 10 asks lowest price first, then the top 10 bids highest
 * price first; for each level its price at the symbol's price decimals, then
 * its size at the size decimals, each via checksumDigits, all concatenated.
 * `bids` and `asks` are best first (as on the wire).
 */
export function bookChecksumText(bids: readonly BookLevel[], asks: readonly BookLevel[], format: Pick<NumberFormat, 'price' | 'size'>): string {
  let text = '';
  const asksTop = Math.min(asks.length, BOOK_CHECKSUM_LEVELS);
  for (let i = 0; i < asksTop; i++) text += checksumDigits(asks[i]![0], format.price) + checksumDigits(asks[i]![1], format.size);
  const bidsTop = Math.min(bids.length, BOOK_CHECKSUM_LEVELS);
  for (let i = 0; i < bidsTop; i++) text += checksumDigits(bids[i]![0], format.price) + checksumDigits(bids[i]![1], format.size);
  return text;
}

/** The book's checksum: crc32 of bookChecksumText, an unsigned 32-bit integer. */
export function bookChecksum(bids: readonly BookLevel[], asks: readonly BookLevel[], format: Pick<NumberFormat, 'price' | 'size'>): number {
  return crc32(bookChecksumText(bids, asks, format));
}
