// The MessagePack extension types the msgpack codec writes and reads. 0 (undefined)
// and -1 (timestamp: Date) are the ones msgpackr uses for those values; the others are
// this codec's own, and any type not listed here is refused at decode. They are
// decoded by this package's own code (msgpack-decode), never by a general decoder
// that builds what the bytes name.

export const EXT_UNDEFINED = 0
/** Standard timestamp; a 1-byte payload (0xff) is msgpackr's invalid Date. */
export const EXT_TIMESTAMP = -1
/** Payload: one MessagePack map, keys of any type, in the Map's order. */
export const EXT_MAP = 0x01
/** Payload: one MessagePack array, in the Set's order. */
export const EXT_SET = 0x02
/**
 * Payload: a sign byte (0 positive, 1 negative), then the magnitude big-endian. Only
 * for BigInts outside the 64-bit range: the others are MessagePack's int 64 / uint 64,
 * which this codec reads as BigInt (it writes numbers as float 64 past 32 bits).
 */
export const EXT_BIGINT = 0x03
/** Payload: one MessagePack map with string keys: an object without prototype. */
export const EXT_NULL_OBJECT = 0x04
/** Payload: UTF-16LE code units, for a string with a lone surrogate (UTF-8 cannot hold it). */
export const EXT_STRING16 = 0x05

/** Typed arrays other than Uint8Array (MessagePack bin); payload: the elements' bytes, little-endian. */
export const TYPED_ARRAYS = [
  [0x11, Int8Array],
  [0x12, Uint8ClampedArray],
  [0x13, Int16Array],
  [0x14, Uint16Array],
  [0x15, Int32Array],
  [0x16, Uint32Array],
  [0x17, Float32Array],
  [0x18, Float64Array],
  [0x19, BigInt64Array],
  [0x1a, BigUint64Array],
] as const

export type TypedArrayConstructor = (typeof TYPED_ARRAYS)[number][1]

/** Extension types whose payload is one nested MessagePack value (checked structurally like the rest). */
export const NESTED_EXTENSIONS: ReadonlySet<number> = new Set([EXT_MAP, EXT_SET, EXT_NULL_OBJECT])

/** Every extension type the codec reads, as the unsigned byte found in the data. */
export const ALLOWED_EXTENSIONS: ReadonlySet<number> = new Set([
  EXT_UNDEFINED,
  EXT_TIMESTAMP & 0xff,
  EXT_MAP,
  EXT_SET,
  EXT_BIGINT,
  EXT_NULL_OBJECT,
  EXT_STRING16,
  ...TYPED_ARRAYS.map(([type]) => type),
])

/** The codec's typed-array payloads are little-endian; on a big-endian machine each element's bytes are swapped. */
export const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1

/** Reverses the bytes of each `size`-byte element of `bytes` in place. */
export function swapElements(bytes: Uint8Array, size: number): void {
  if (size === 1) return
  for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse()
}
