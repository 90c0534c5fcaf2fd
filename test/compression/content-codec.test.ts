/**
 * Content compression round trips for both codecs on both paths of `decompress`: blobs up to
 * INLINE_DECOMPRESS_BYTES inline, larger ones on the thread pool.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { compressIfWorthIt, compressionPolicy, decompress, INLINE_DECOMPRESS_BYTES } from '../../src/compression/content-codec.js'

/** Text that compresses (hex only uses 16 symbols) but not into a tiny blob (it is random). */
const text = (bytes: number) => randomBytes(bytes / 2).toString('hex') + ' Ünïcödé 🧭'

for (const setting of ['brotli', 'gzip'] as const) {
  t.test(`${setting}: small and large blobs decompress to the original text`, async (t) => {
    const policy = compressionPolicy(setting, 64, 0.1)
    for (const size of [1_000, 40_000, 400_000]) {
      const original = text(size)
      const compressed = await compressIfWorthIt(original, policy)
      t.ok(compressed, `${size} bytes were kept compressed`)
      const path = compressed!.bytes.length <= INLINE_DECOMPRESS_BYTES ? 'inline' : 'thread pool'
      t.equal(await decompress(compressed!.codec, compressed!.bytes), original, `${size} bytes (${compressed!.bytes.length} compressed, ${path})`)
    }
  })
}

t.test('both paths are exercised by the sizes above', async (t) => {
  const small = await compressIfWorthIt(text(1_000), compressionPolicy('brotli', 64))
  const large = await compressIfWorthIt(text(400_000), compressionPolicy('brotli', 64))
  t.ok(small!.bytes.length <= INLINE_DECOMPRESS_BYTES, 'a small blob is decompressed inline')
  t.ok(large!.bytes.length > INLINE_DECOMPRESS_BYTES, 'a large blob goes to the thread pool')
})

t.test('a corrupt blob is an error on either path, never wrong text', async (t) => {
  await t.rejects(decompress('br', Buffer.from('not brotli at all')))
  await t.rejects(decompress('gzip', randomBytes(INLINE_DECOMPRESS_BYTES + 10)))
})
