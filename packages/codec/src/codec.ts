// The Codec contract: how a value becomes bytes and back. Trees use one for
// their nodes, @dbdb/dbdb one for user values. Codecs are pure and stateless.

export interface Codec<T = unknown> {
  /** Stable name recorded in database files; never reuse an id for a different format. */
  readonly id: string
  /** Throws TypeError for a value this codec cannot represent faithfully enough to read back. */
  encode(value: T): Uint8Array
  /**
   * Optional: like encode, but it may return `value` itself instead of a copy (the raw
   * codec does), for callers that copy what they keep. The result is either fresh
   * bytes or `value`, never a view of part of it.
   */
  encodeShared?(value: T): Uint8Array
  /** Throws for bytes this codec did not produce; it never runs or instantiates anything the bytes name. */
  decode(bytes: Uint8Array): T
  /**
   * Optional: like decode, but the result may share memory with `bytes` (no copies of
   * binary fields). For callers that never modify the result, such as trees decoding
   * their nodes: keys of one node then sit in one buffer, which makes searching them
   * markedly faster. Values handed to users always come from decode.
   */
  decodeShared?(bytes: Uint8Array): T
}

/** Thrown by decode() for malformed input. Callers that read from files report it as corruption. */
export class CodecError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CodecError'
  }
}
