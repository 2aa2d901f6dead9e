import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadAliasTable } from './nicknames.ts'

describe('the alias table', () => {
  const aliases = loadAliasTable()

  it('knows the US list and the British and transliteration supplement', () => {
    assert.ok(aliases.areAliases('alfie', 'alfred'))
    assert.ok(aliases.areAliases('archie', 'archibald'))
    assert.ok(aliases.areAliases('freddie', 'frederick'))
    assert.ok(aliases.areAliases('jack', 'john'))
    assert.ok(aliases.areAliases('mohammed', 'muhammad'))
    assert.ok(aliases.areAliases('mohamed', 'mohamad'))
    assert.ok(aliases.areAliases('zainab', 'zaynab'))
    assert.ok(aliases.areAliases('niamh', 'neve'))
    assert.ok(aliases.areAliases('william', 'bill'))
  })

  it('does not make unrelated names aliases', () => {
    assert.ok(!aliases.areAliases('olivia', 'ruby'))
    assert.ok(!aliases.areAliases('muhammad', 'ahmed'))
    assert.ok(!aliases.areAliases('unknownname', 'unknownname2'))
  })

  it('gives every pair of aliases a family bit in common, and an unknown name none', () => {
    // The comparison rules out a pair whose masks share no bit without looking the names up: so no pair of
    // aliases in the whole table may lack a shared bit.
    const rows = ['alfie', 'alfred', 'archie', 'jack', 'john', 'mohammed', 'muhammad', 'bill', 'william', 'niamh', 'neve', 'olivia', 'ruby']
    for (const a of rows) for (const b of rows) if (aliases.areAliases(a, b)) assert.notEqual(aliases.familyMask(a) & aliases.familyMask(b), 0, `${a} / ${b}`)
    assert.equal(aliases.familyMask('unknownname'), 0)
  })
})
