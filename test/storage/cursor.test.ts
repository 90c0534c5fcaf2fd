import t from 'tap'
import { decodeCursor, encodeCursor } from '../../src/storage/cursor.js'
import { isAppError } from '../../src/errors/app-error.js'

t.test('a cursor round-trips the id it names', async (t) => {
  const id = '01890a5d-ac96-774b-bcce-b302099a8057'
  t.equal(decodeCursor(encodeCursor(id)), id)
})

t.test('cursors this service did not issue are rejected as invalid_cursor', async (t) => {
  const bad = ['', 'abc', '!!!', Buffer.from('{"v":1,"id":"x"}').toString('base64url'),
    Buffer.from('{"v":2,"id":"01890a5d-ac96-774b-bcce-b302099a8057"}').toString('base64url'), 'a'.repeat(500)]
  for (const c of bad) {
    try {
      decodeCursor(c)
      t.fail(`accepted ${c}`)
    } catch (err) {
      t.ok(isAppError(err) && err.code === 'invalid_cursor', `rejects ${JSON.stringify(c).slice(0, 30)}`)
    }
  }
})
