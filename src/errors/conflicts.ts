/**
 * The one way to build a `version_conflict` (412): every store and the domain layer use it, so the
 * detail text and the `currentVersion` extension are the same whoever detects the conflict.
 */
import { AppError } from './app-error.js'

/**
 * `version_conflict` for an entry now at `currentVersion`, or absent (`null`). The problem body
 * carries `currentVersion` (a number, or null for an absent entry — never 0).
 */
export function versionConflict(currentVersion: number | null): AppError {
  const detail = currentVersion === null ? 'the entry does not exist' : `the entry is at version ${currentVersion}`
  return new AppError('version_conflict', detail, { extensions: { currentVersion } })
}
