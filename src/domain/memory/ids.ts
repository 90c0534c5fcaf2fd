import { v7 as uuidv7, validate, version } from 'uuid'

/** A new UUIDv7: time-ordered, so id order is creation order (keyset pagination relies on it). */
export function newId(): string {
  return uuidv7()
}

/** True for any canonical UUID string (lowercase or not); ids we issue are v7. */
export function isUuid(value: string): boolean {
  return validate(value) && version(value) >= 1
}
