import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../../platform/paths.ts'

export const NICKNAME_FILES = [join(ROOT, 'reference/nicknames/names.csv'), join(ROOT, 'reference/nicknames/uk-supplement.csv')]

/**
 * Names are aliases when they share a family: a formal name and all its diminutives or spellings. A
 * name can be in several families (Alfie is both Alfred's and William's), so each name keeps a set.
 * `familyMask` gives a name one bit (of 32) per family it is in, 0 for a name the table does not know: two
 * names whose masks share no bit are not aliases, which rules out most pairs without looking up sets.
 */
export type AliasTable = { areAliases: (a: string, b: string) => boolean; familyMask: (name: string) => number; size: number }

export function aliasTableFromRows(rows: [string, string][]): AliasTable {
  const families = new Map<string, Set<string>>()
  const join = (name: string, family: string) => {
    let set = families.get(name)
    if (!set) families.set(name, (set = new Set()))
    set.add(family)
  }
  for (const [formal, variant] of rows) {
    join(formal, formal)
    join(variant, formal)
  }
  const bitOf = new Map<string, number>()
  const familyBit = (family: string) => {
    let bit = bitOf.get(family)
    if (bit === undefined) bitOf.set(family, (bit = 1 << (Math.imul(bitOf.size + 1, 0x9e3779b1) >>> 27)))
    return bit
  }
  return {
    size: rows.length,
    familyMask(name) {
      let mask = 0
      for (const f of families.get(name) ?? []) mask |= familyBit(f)
      return mask
    },
    areAliases(a, b) {
      const fa = families.get(a)
      const fb = families.get(b)
      if (!fa || !fb) return false
      for (const f of fa) if (fb.has(f)) return true
      return false
    },
  }
}

export function loadAliasTable(files: string[] = NICKNAME_FILES): AliasTable {
  const rows: [string, string][] = []
  for (const file of files) {
    for (const line of readFileSync(file, 'utf8').split(/\r?\n/).slice(1)) {
      const [a, , b] = line.split(',')
      if (a && b) rows.push([a.trim().toLowerCase(), b.trim().toLowerCase()])
    }
  }
  return aliasTableFromRows(rows)
}
