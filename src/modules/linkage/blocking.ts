import type { BlockingKey } from './mapping.ts'
import type { LinkRecord } from './records.ts'

export type BlockingRule = BlockingKey[]

/** Candidate pairs as parallel arrays, with the rule that first produced each pair. */
export type Pairs = { left: Int32Array; right: Int32Array; rule: Uint8Array; length: number; perRule: number[] }

export function blockingKeyValue(r: LinkRecord, key: BlockingKey): string | null {
  switch (key) {
    case 'forename': return r.forename
    case 'surname': return r.surname
    case 'dateOfBirth': return r.dob
    case 'sex': return r.sex
    case 'postcode': return r.postcode?.value ?? null
    case 'postcodeSector': return r.postcode?.sector ?? null
    case 'postcodeDistrict': return r.postcode?.district ?? null
    case 'nhsNumber': return r.nhsNumber
    case 'upn': return r.upn
    case 'forenameInitial': return r.forename?.[0] ?? null
    case 'surnameInitial': return r.surname?.[0] ?? null
    case 'birthYear': return r.dob?.slice(0, 4) ?? null
    case 'birthMonthDay': return r.dob?.slice(5) ?? null
    case 'birthYearMonth': return r.dob?.slice(0, 7) ?? null
    case 'address': return r.address
  }
}

/** A rule's join key for one record; null when any part is unknown, so unknowns never join. */
export function ruleKey(r: LinkRecord, rule: BlockingRule): string | null {
  let key = ''
  for (const k of rule) {
    const v = blockingKeyValue(r, k)
    if (v === null) return null
    key += `${v}\u0001`
  }
  return key
}

/** The most records on one side of a block that a rule still pairs: beyond it, the rule skips that key. */
export const MAX_BLOCK = 64

export const describeRule = (rule: BlockingRule): string => rule.join(' + ')

/**
 * The union of equi-joins: each rule is joined on its own, and a pair that an earlier rule already
 * produced is skipped, so every pair appears once and is credited to the first rule that found it.
 * With `right` null the records are deduplicated against themselves (each unordered pair once).
 */
export function blockPairs(left: LinkRecord[], right: LinkRecord[] | null, rules: BlockingRule[], maxPairs = Infinity, maxBlock = Infinity): Pairs {
  const leftKeys = rules.map((rule) => left.map((r) => ruleKey(r, rule)))
  const rightKeys = right ? rules.map((rule) => right.map((r) => ruleKey(r, rule))) : leftKeys
  let capacity = 1 << 16
  let l = new Int32Array(capacity)
  let rr = new Int32Array(capacity)
  let ruleOf = new Uint8Array(capacity)
  let length = 0
  const perRule = rules.map(() => 0)
  const oversized = rules.map(() => new Set<string>())
  const push = (i: number, j: number, q: number) => {
    if (length === capacity) {
      capacity *= 2
      const grow = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => { const b = make(capacity); b.set(a); return b }
      l = grow(l, (n) => new Int32Array(n))
      rr = grow(rr, (n) => new Int32Array(n))
      ruleOf = grow(ruleOf, (n) => new Uint8Array(n))
    }
    l[length] = i
    rr[length] = j
    ruleOf[length] = q
    length++
  }
  for (let q = 0; q < rules.length && length < maxPairs; q++) {
    const index = new Map<string, number[]>()
    rightKeys[q].forEach((k, j) => {
      if (k === null) return
      const list = index.get(k)
      if (list) list.push(j)
      else index.set(k, [j])
    })
    for (const [k, list] of index) if (list.length > maxBlock) oversized[q].add(k)
    const lk = leftKeys[q]
    for (let i = 0; i < left.length && length < maxPairs; i++) {
      const k = lk[i]
      if (k === null) continue
      const matches = index.get(k)
      // A key shared by very many records (a common surname in one postcode sector) pairs each with all the
      // others: the square of the block's size, almost all non-matches, that other rules pair anyway.
      if (!matches || oversized[q].has(k)) continue
      for (const j of matches) {
        if (!right && j <= i) continue
        let seen = false
        for (let p = 0; p < q && !seen; p++) {
          const a = leftKeys[p][i]
          // An earlier rule found the pair only if it shared a key that rule did not skip.
          seen = a !== null && a === rightKeys[p][j] && !oversized[p].has(a)
        }
        if (seen) continue
        push(i, j, q)
        perRule[q]++
      }
    }
  }
  return { left: l.subarray(0, length), right: rr.subarray(0, length), rule: ruleOf.subarray(0, length), length, perRule }
}
