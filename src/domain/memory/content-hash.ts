import { createHash } from 'node:crypto'

/** `sha256:` + lowercase hex of the UTF-8 bytes of `content` (design §3). */
export function contentHash(content: string): string {
  return 'sha256:' + createHash('sha256').update(content, 'utf8').digest('hex')
}
