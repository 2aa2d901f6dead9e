// Checks for the identifiers a child's record carries. Each returns the message to show, or
// undefined when the value is valid; `normalise*` give the stored form.
// Sources: data standards brief 2.1-2.3 (GovTalk UPN standard, NHS Data Dictionary, HESA ULN).

/** The 23 UPN check letters: I, O and S are never used. */
const UPN_LETTERS = 'ABCDEFGHJKLMNPQRTUVWXYZ'

export const normaliseUpn = (value: string): string => value.replace(/\s/g, '').toUpperCase()

/** The check letter for characters 2 to 13 of a UPN (weights 2..13, sum mod 23). */
export function upnCheckLetter(rest: string): string {
  let sum = 0
  for (let i = 0; i < 12; i++) {
    const c = rest[i]
    const value = /\d/.test(c) ? Number(c) : UPN_LETTERS.indexOf(c)
    sum += (i + 2) * value
  }
  return UPN_LETTERS[sum % 23]
}

/** UPN problems in the school census wording (CBDS), so schools recognise them. */
export function upnProblem(raw: string): string | undefined {
  const upn = normaliseUpn(raw)
  if (upn.length !== 13) return 'UPN must be 13 characters, like H801200001001'
  if (!/^\d{11}$/.test(upn.slice(1, 12))) return 'UPN invalid (characters 2-12 not all numeric)'
  if (!/^[ABCDEFGHJKLMNPQRTUVWXYZ0-9]$/.test(upn[12])) return 'UPN invalid (character 13 not a recognised value)'
  const la = Number(upn.slice(1, 4))
  if (la < 201 || la > 938) return 'UPN invalid (characters 2-4 not a recognised LA code)'
  if (upn[0] !== upnCheckLetter(upn.slice(1))) return 'UPN invalid (wrong check letter at character 1)'
  return undefined
}

export const normaliseNhsNumber = (value: string): string => value.replace(/[\s-]/g, '')

/** NHS number: 10 digits, the tenth a modulus 11 check digit (a remainder giving 10 is never issued). */
export function nhsNumberProblem(raw: string): string | undefined {
  const nhs = normaliseNhsNumber(raw)
  if (!/^\d{10}$/.test(nhs)) return 'NHS number must be 10 digits, like 943 476 5919'
  const sum = [...nhs.slice(0, 9)].reduce((s, d, i) => s + Number(d) * (10 - i), 0)
  const check = 11 - (sum % 11)
  if (check === 10 || (check === 11 ? 0 : check) !== Number(nhs[9])) return 'Enter a real NHS number: the last digit does not match the others'
  return undefined
}

/** ULN: 10 digits not starting with 0, whose weighted sum (10..1) is 10 mod 11. */
export function ulnProblem(raw: string): string | undefined {
  const uln = raw.replace(/\s/g, '')
  if (!/^[1-9]\d{9}$/.test(uln)) return 'ULN must be 10 digits and not start with 0'
  const sum = [...uln].reduce((s, d, i) => s + Number(d) * (10 - i), 0)
  if (sum % 11 !== 10) return 'Enter a real ULN: the digits do not pass the check'
  return undefined
}

const POSTCODE = /^[A-Z]{1,2}[0-9R][0-9A-Z]? [0-9][ABD-HJLNP-UW-Z]{2}$/

/** Upper case with one space before the inward code: "sw1a1aa" becomes "SW1A 1AA". */
export function normalisePostcode(raw: string): string {
  const compact = raw.replace(/\s/g, '').toUpperCase()
  return compact.length > 3 ? `${compact.slice(0, -3)} ${compact.slice(-3)}` : compact
}

export function postcodeProblem(raw: string): string | undefined {
  return POSTCODE.test(normalisePostcode(raw)) ? undefined : 'Enter a real UK postcode, like NE1 4ST'
}
