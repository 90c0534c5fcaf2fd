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

/**
 * `token_budget_exceeded` (409) under the `reject` policy: the write would take the tool's live
 * tokens from `usedTokens` past `maxTokens`. The body carries all three figures so a client can
 * decide what to delete (or ask for the `evict` policy).
 */
export function tokenBudgetExceeded(usedTokens: number, maxTokens: number, entryTokens: number): AppError {
  return new AppError('token_budget_exceeded',
    `the tool uses ${usedTokens} of its ${maxTokens} tokens; this write of ${entryTokens} tokens would exceed the budget`,
    { extensions: { usedTokens, maxTokens, entryTokens } })
}

/** `entry_exceeds_token_budget` (422): the entry alone is larger than the whole budget. */
export function entryExceedsTokenBudget(entryTokens: number, maxTokens: number): AppError {
  return new AppError('entry_exceeds_token_budget',
    `the entry has ${entryTokens} tokens, more than the tool's whole budget of ${maxTokens}`,
    { extensions: { maxTokens, entryTokens } })
}
