/* Ids made on the phone: an entry's, a change's. Pure: runs in pages, the service worker and
   Node's test runner alike. */

/** A version-4 UUID from 16 bytes (random, or a digest's first 16). */
export function uuidFromBytes(bytes) {
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => (b + 256).toString(16).slice(1));
  return [hex.slice(0, 4), hex.slice(4, 6), hex.slice(6, 8), hex.slice(8, 10), hex.slice(10)]
    .map((part) => part.join("")).join("-");
}

/** A new random id. */
export function newId() {
  const { crypto } = globalThis;
  if (crypto.randomUUID) return crypto.randomUUID();
  return uuidFromBytes(crypto.getRandomValues(new Uint8Array(16)));
}
