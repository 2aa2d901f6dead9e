import type { DateFormat } from './mapping.ts'

const UK_POSTCODE = /^([A-Z]{1,2})([0-9R][0-9A-Z]?)([0-9])([ABD-HJLNP-UW-Z]{2})$/

export type Postcode = { value: string; isUk: boolean; sector: string | null; district: string | null; area: string | null }

export function normaliseName(raw: string): string | null {
  const text = raw.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/['’`]/g, '').replace(/[^a-z]+/g, ' ').trim()
  return text || null
}

/** Postcodes that are not UK postcodes are kept as plain strings and compared only for equality. */
export function normalisePostcode(raw: string): Postcode | null {
  const squashed = raw.toUpperCase().replace(/\s+/g, '')
  if (!squashed) return null
  const m = UK_POSTCODE.exec(squashed)
  if (!m) return { value: raw.trim().toUpperCase().replace(/\s+/g, ' '), isUk: false, sector: null, district: null, area: null }
  const outward = m[1] + m[2]
  return { value: `${outward} ${m[3]}${m[4]}`, isUk: true, sector: `${outward} ${m[3]}`, district: outward, area: m[1] }
}

/** An ISO date string, or null when the value is not a real date in the stated format. */
export function normaliseDate(raw: string, format: DateFormat): string | null {
  const text = raw.trim()
  let m: RegExpExecArray | null
  let y: number, mo: number, d: number
  if (format === 'ISO' && (m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/.exec(text))) [y, mo, d] = [+m[1], +m[2], +m[3]]
  else if (format === 'DD/MM/YYYY' && (m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(text))) [y, mo, d] = [+m[3], +m[2], +m[1]]
  else if (format === 'YYYYMMDD' && (m = /^(\d{4})(\d{2})(\d{2})$/.exec(text))) [y, mo, d] = [+m[1], +m[2], +m[3]]
  else return null
  if (y < 1900 || y > 2100) return null
  const date = new Date(Date.UTC(y, mo - 1, d))
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null
  return date.toISOString().slice(0, 10)
}

export function normaliseSex(raw: string): string | null {
  const s = raw.trim().toLowerCase()
  if (['m', 'male', 'boy'].includes(s)) return 'M'
  if (['f', 'female', 'girl'].includes(s)) return 'F'
  if (!s || ['u', 'unknown', 'not known', 'not stated', '0', '9'].includes(s)) return null
  return s.toUpperCase()
}

/** NHS numbers whose modulus 11 check digit is wrong are unknown: a typo must not count as a mismatch. */
export function normaliseNhsNumber(raw: string): string | null {
  const digits = raw.replace(/[\s-]/g, '')
  if (!/^\d{10}$/.test(digits)) return null
  return nhsCheckDigit(digits.slice(0, 9)) === Number(digits[9]) ? digits : null
}

export function nhsCheckDigit(first9: string): number {
  let sum = 0
  for (let i = 0; i < 9; i++) sum += Number(first9[i]) * (10 - i)
  const check = 11 - (sum % 11)
  return check === 11 ? 0 : check
}

export function normaliseUpn(raw: string): string | null {
  const upn = raw.replace(/\s/g, '').toUpperCase()
  return /^[A-Z]\d{11}[0-9A-Z]$/.test(upn) ? upn : null
}

export function normaliseAddress(raw: string): string | null {
  const text = raw.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim()
  return text || null
}

export const daysSinceEpoch = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 86_400_000
