import { SaxesParser } from 'saxes'
import { decodeText } from './decode.ts'
import { type CtfHeader, type LostPupil, type NoticeField, type NoticeRow, type ParseResult } from './fields.ts'

export type { CtfHeader } from './fields.ts'

// The DfE Common Transfer File (data standards brief 1.2-1.4). Element names are matched ignoring case
// and prefix, since MIS exports and the DfE's own documents disagree on case (CTFversion/CTFVersion,
// PostCode/Postcode).

/** CTF 20 (2020) to CTF 25 (2025/26), and CTF 26, expected for 2026/27 but unpublished when this was written. */
const MIN_VERSION = 20
const MAX_VERSION = 26
const MAX_PUPILS = 5_000

type Element = { name: string; children: Element[]; text: string }

class Refused extends Error {}

const DOCTYPE_REFUSED = 'The file contains a document type declaration, which a Common Transfer File never has'
const NOT_CTF = 'This is not a Common Transfer File'

/** Reads the pupils of a CTF as removal notice rows, with the header saying which school sent it and where to. */
export function parseCtf(input: Buffer): ParseResult {
  const text = decodeText(input)
  if (!text.trim()) return fail('The file is empty')
  // A DTD is the only way XML can declare entities, so refusing it outright means no entity (external
  // or nested, as in "billion laughs") can be expanded, whatever the parser might do with one.
  if (/<!(DOCTYPE|ENTITY)/i.test(text)) return fail(DOCTYPE_REFUSED)
  let root: Element
  try {
    root = readTree(text)
  } catch (error) {
    if (error instanceof Refused) return fail(error.message)
    const problem = error instanceof Error ? xmlProblem(error.message) : undefined
    if (problem) return fail(`The file is not valid XML: ${problem}`)
    throw error
  }
  const header = readHeader(child(root, 'header'))
  if (typeof header === 'string') return fail(header)
  const pupils = children(child(root, 'ctfpupildata'), 'pupil')
  if (!pupils.length) return fail('The file has no pupils in it')
  return { ok: true, header, rows: pupils.map((pupil, i) => toRow(pupil, i + 1, header)) }
}

const fail = (error: string): ParseResult => ({ ok: false, errors: [error] })

const localName = (name: string) => name.slice(name.indexOf(':') + 1).toLowerCase()

/**
 * saxes never reads a DTD's declarations: an entity other than XML's five built-in ones is an
 * "undefined entity" error, and nothing is ever fetched. A DOCTYPE is refused again here in case
 * one ever gets past the text check above.
 */
function readTree(text: string): Element {
  const parser = new SaxesParser({ xmlns: false })
  const stack: Element[] = []
  let root: Element | undefined
  let pupils = 0
  parser.on('doctype', () => {
    throw new Refused(DOCTYPE_REFUSED)
  })
  parser.on('opentag', (tag) => {
    const element: Element = { name: localName(tag.name), children: [], text: '' }
    const parent = stack.at(-1)
    if (!parent) {
      if (element.name !== 'ctfile') throw new Refused(NOT_CTF)
      root = element
    } else {
      parent.children.push(element)
    }
    // Stop before building a tree for a file far bigger than any school would send.
    if (element.name === 'pupil' && parent?.name === 'ctfpupildata' && ++pupils > MAX_PUPILS) {
      throw new Refused(`The file has more than ${MAX_PUPILS.toLocaleString('en-GB')} pupils. Split it into files of ${MAX_PUPILS.toLocaleString('en-GB')} pupils or fewer`)
    }
    stack.push(element)
  })
  const addText = (t: string) => {
    const current = stack.at(-1)
    if (current) current.text += t
  }
  parser.on('text', addText)
  parser.on('cdata', addText)
  parser.on('closetag', () => void stack.pop())
  try {
    parser.write(text).close()
  } catch (error) {
    // Markup that breaks before any element opens is some other kind of file, such as a CSV.
    if (!root && !(error instanceof Refused)) throw new Refused(NOT_CTF)
    throw error
  }
  if (!root) throw new Refused(NOT_CTF)
  return root
}

/** saxes reports "3:14: unexpected end."; any other error is a fault in Lantern, not in the file. */
function xmlProblem(message: string): string | undefined {
  const match = /^(\d+):(\d+): (.*)$/s.exec(message)
  return match ? `line ${match[1]}, column ${match[2]}: ${match[3]}` : undefined
}

function readHeader(header: Element | undefined): CtfHeader | string {
  const version = value(header, 'ctfversion')
  if (!version) return 'The file does not say which CTF version it is: it has no CTFversion in its header'
  const major = /^(\d+)(?:\.\d+)?$/.exec(version)?.[1]
  if (!major || Number(major) < MIN_VERSION || Number(major) > MAX_VERSION) {
    return `The file is CTF version “${version}”. Lantern reads CTF versions ${MIN_VERSION} to ${MAX_VERSION}: ask the school to export the file again from its MIS`
  }
  const source = child(header, 'sourceschool')
  const dest = child(header, 'destschool')
  const destLea = value(dest, 'lea')
  const destEstab = value(dest, 'estab')
  return prune({
    version,
    sourceLea: value(source, 'lea'),
    sourceEstab: value(source, 'estab'),
    sourceUrn: value(source, 'urn'),
    schoolName: value(source, 'schoolname'),
    destLea,
    destEstab,
    lostPupil: lostPupil(destLea, destEstab),
  })
}

// Brief 1.4: a CTF sent to XXX/XXXX goes to the Lost Pupil Database; MMM/MMMM means moved abroad.
function lostPupil(lea?: string, estab?: string): LostPupil | undefined {
  const codes = [lea?.toUpperCase(), estab?.toUpperCase()]
  if (codes.includes('XXX') || codes.includes('XXXX')) return 'destination_unknown'
  if (codes.includes('MMM') || codes.includes('MMMM')) return 'moved_abroad'
  return undefined
}

function toRow(pupil: Element, position: number, header: CtfHeader): NoticeRow {
  const upn = value(pupil, 'upn')
  const contacts = sortedContacts(pupil)
  const values: NoticeRow['values'] = {
    upn,
    forename: value(pupil, 'forename'),
    surname: value(pupil, 'surname'),
    dateOfBirth: value(pupil, 'dob'),
    sex: sex(value(pupil, 'sex') ?? value(pupil, 'gender')),
    ...pupilAddress(child(pupil, 'address')),
    ...contactFields('parent1', contacts[0]),
    ...contactFields('parent2', contacts[1]),
    deletionDate: leavingDate(pupil, header),
    lostPupil: header.lostPupil,
  }
  return { line: position, label: upn ? `Pupil ${position} (UPN ${upn})` : `Pupil ${position}`, values: prune(values) }
}

function sex(code: string | undefined): string {
  const upper = code?.toUpperCase()
  return upper === 'M' ? 'male' : upper === 'F' ? 'female' : 'unknown'
}

function pupilAddress(address: Element | undefined): Partial<Record<NoticeField, string>> {
  const postcode = value(address, 'postcode')
  const bs7666 = child(address, 'bs7666address')
  if (bs7666) {
    return { addressLine1: bs7666Line1(bs7666), town: value(bs7666, 'posttown') ?? value(bs7666, 'town'), postcode }
  }
  const lines = addressLines(address)
  const explicitTown = value(address, 'posttown') ?? value(address, 'town') ?? value(child(address, 'addresslines'), 'town')
  // Without a town element the last line after the first is the town, as in the paper address.
  return { addressLine1: lines[0], town: explicitTown ?? (lines.length > 1 ? lines.at(-1) : undefined), postcode }
}

/** AddressLine1 to AddressLine5 in order, skipping blank ones. */
function addressLines(address: Element | undefined): string[] {
  const block = child(address, 'addresslines')
  return [1, 2, 3, 4, 5].map((n) => value(block, `addressline${n}`)).filter((l): l is string => !!l)
}

/** "Flat 2, 14 Example Road", but "Rose Cottage, Example Road" when the building has a name. */
function bs7666Line1(bs7666: Element): string | undefined {
  const paon = value(bs7666, 'paon')
  const street = value(bs7666, 'street')
  const building = paon && street ? `${paon}${/^\d/.test(paon) ? ' ' : ', '}${street}` : (paon ?? street)
  return [value(bs7666, 'saon'), building].filter(Boolean).join(', ') || undefined
}

function sortedContacts(pupil: Element): Element[] {
  const order = (c: Element) => Number(value(c, 'order') ?? Number.POSITIVE_INFINITY)
  return children(child(pupil, 'contacts'), 'contact')
    .map((contact, index) => ({ contact, index, order: order(contact) }))
    .sort((a, b) => (a.order - b.order || a.index - b.index))
    .map((c) => c.contact)
}

function contactFields(prefix: 'parent1' | 'parent2', contact: Element | undefined): Partial<Record<NoticeField, string>> {
  if (!contact) return {}
  const name = [value(contact, 'forename'), value(contact, 'surname')].filter(Boolean).join(' ')
  const phone = children(child(contact, 'phones'), 'phone').map((p) => value(p, 'phoneno')).find(Boolean)
  return { [`${prefix}Name`]: name || undefined, [`${prefix}Address`]: contactAddress(child(contact, 'address')), [`${prefix}Phone`]: phone }
}

function contactAddress(address: Element | undefined): string | undefined {
  if (/^(true|1|y|yes)$/i.test(value(address, 'addressaspupil') ?? '')) return 'Same as the pupil'
  const bs7666 = child(address, 'bs7666address')
  const parts = bs7666
    ? [bs7666Line1(bs7666), ...['locality', 'town', 'posttown'].map((n) => value(bs7666, n))]
    : addressLines(address)
  const unique = [...new Set([...parts, value(address, 'postcode')].filter(Boolean))]
  return unique.join(', ') || undefined
}

/** The leaving date of the sending school's own entry in the pupil's school history. */
function leavingDate(pupil: Element, header: CtfHeader): string | undefined {
  if (!header.sourceLea || !header.sourceEstab) return undefined
  return children(child(pupil, 'schoolhistory'), 'school')
    .filter((s) => value(s, 'lea') === header.sourceLea && value(s, 'estab') === header.sourceEstab)
    .map((s) => value(s, 'leavingdate'))
    .filter((d): d is string => !!d)
    .sort()
    .at(-1)
}

const children = (parent: Element | undefined, name: string): Element[] => parent?.children.filter((c) => c.name === name) ?? []
const child = (parent: Element | undefined, name: string): Element | undefined => parent?.children.find((c) => c.name === name)
const value = (parent: Element | undefined, name: string): string | undefined => child(parent, name)?.text.trim() || undefined

function prune<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T
}
