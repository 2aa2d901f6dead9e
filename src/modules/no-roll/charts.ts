import type { WaterfallStep } from '../linkage/score.ts'
import type { ModelSummary } from './find.ts'

// The model's evidence drawn as horizontal bars in match weight (bits): right for evidence that two
// records are the same child, left for evidence against. SVG from the server, so no script is
// needed; each chart has a table beside it on the page with the same figures.

const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const GREEN = '#00703c'
const RED = '#d4351c'
const BLACK = '#0b0c0c'
const GREY = '#b1b4b6'
const DARK = '#505a5f'

type Row = { label: string; from: number; to: number; text: string; total?: boolean }

function horizontalBars(id: string, title: string, description: string, rows: Row[]): string {
  const width = 760
  const rowHeight = 30
  // Wide enough for the longest label at about 7.5 px a character in 14 px Arial ("Address and postcode:
  // same address, other postcode" was cut off at a fixed 250).
  const labelWidth = Math.min(400, Math.max(200, Math.ceil(Math.max(...rows.map((r) => r.label.length)) * 7.5)))
  const plot = { left: labelWidth + 10, right: 70, top: 30 }
  const height = plot.top + rows.length * rowHeight + 30
  const values = rows.flatMap((r) => [r.from, r.to, 0])
  const lo = Math.floor(Math.min(...values) / 5) * 5
  const hi = Math.ceil(Math.max(...values) / 5) * 5 || 5
  const x = (v: number) => plot.left + ((v - lo) / (hi - lo || 1)) * (width - plot.left - plot.right)
  const parts: string[] = []
  const step = hi - lo > 40 ? 10 : 5
  for (let v = lo; v <= hi; v += step) {
    parts.push(`<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${plot.top - 6}" y2="${height - 24}" stroke="${v === 0 ? BLACK : GREY}" stroke-width="1"/>`,
      `<text x="${x(v).toFixed(1)}" y="${plot.top - 12}" text-anchor="middle" fill="${DARK}">${v}</text>`)
  }
  rows.forEach((r, i) => {
    const y = plot.top + i * rowHeight + 5
    const [a, b] = [Math.min(r.from, r.to), Math.max(r.from, r.to)]
    const colour = r.total ? BLACK : r.to >= r.from ? GREEN : RED
    parts.push(`<text x="${labelWidth}" y="${y + 15}" text-anchor="end"${r.total ? ' font-weight="bold"' : ''}>${escapeXml(r.label)}</text>`,
      `<rect x="${x(a).toFixed(1)}" y="${y}" width="${Math.max(1.5, x(b) - x(a)).toFixed(1)}" height="${rowHeight - 10}" fill="${colour}"><title>${escapeXml(`${r.label}: ${r.text}`)}</title></rect>`,
      `<text x="${(x(b) + 6).toFixed(1)}" y="${y + 15}">${escapeXml(r.text)}</text>`)
  })
  // Centred under the whole chart: started at the plot's edge it ran past the right-hand side.
  parts.push(`<text x="${width / 2}" y="${height - 6}" text-anchor="middle" fill="${DARK}">Match weight in bits: right of 0 is evidence for the same child, left is against</text>`)
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" focusable="false"`
    + ` aria-labelledby="${id}-title ${id}-desc" font-family="arial, sans-serif" font-size="14" fill="${BLACK}" data-testid="${id}">`
    + `<title id="${id}-title">${escapeXml(title)}</title><desc id="${id}-desc">${escapeXml(description)}</desc>${parts.join('')}</svg>`
}

const signed = (w: number) => `${w >= 0 ? '+' : '−'}${Math.abs(w).toFixed(1)}`
const LABELS: Record<string, string> = {
  forename: 'First name', surname: 'Last name', date_of_birth: 'Date of birth', sex: 'Sex', residence: 'Address and postcode', postcode: 'Postcode',
  address: 'Address', nhs_number: 'NHS number', upn: 'UPN', candidates: 'Other candidates',
}
export const comparisonLabel = (name: string) => LABELS[name] ?? name.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase())

const KEY_WORDS: Record<string, string> = {
  forename: 'first name', surname: 'last name', dateOfBirth: 'date of birth', sex: 'sex', postcode: 'postcode',
  postcodeSector: 'postcode sector', postcodeDistrict: 'postcode district', nhsNumber: 'NHS number', upn: 'UPN',
  forenameInitial: 'first initial', surnameInitial: 'last initial', forenameSoundex: 'first name sounds alike',
  surnameSoundex: 'last name sounds alike', birthYear: 'year of birth', birthMonthDay: 'day and month of birth',
  birthYearMonth: 'month of birth', birthDateAnyOrder: 'date of birth with day and month either way', address: 'address',
}

/** A blocking rule as stored ("forename + surname + birthYear") in words: "First name, last name and year of birth". */
export function ruleInWords(rule: string): string {
  const words = rule.split(' + ').map((k) => KEY_WORDS[k] ?? k)
  const text = words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words.at(-1)}` : words[0]
  return text.replace(/^./, (c) => c.toUpperCase())
}

/** A pair's score built up step by step: the prior, then what each comparison added or took away. */
export function waterfallChart(steps: WaterfallStep[]): string {
  let total = 0
  const rows: Row[] = steps.map((s) => {
    const w = s.weight + s.tfAdjustment
    const row = { label: s.comparison === 'prior' ? 'Starting point (prior)' : `${comparisonLabel(s.comparison)}: ${s.level}`, from: total, to: total + w, text: signed(w) }
    total += w
    return row
  })
  rows.push({ label: 'Match weight', from: 0, to: total, text: signed(total), total: true })
  const probability = 1 / (1 + 2 ** -total)
  return horizontalBars('waterfall', 'How the nearest record was scored',
    `Starting from the prior of ${signed(steps[0]?.weight ?? 0)}, the comparisons bring the match weight to ${signed(total)}, a match probability of ${probability.toFixed(2)}.`, rows)
}

/** One comparison's levels and the weight each carries in the trained model. */
export function weightChart(c: ModelSummary['comparisons'][number]): string {
  const id = `weights-${c.name.replace(/[^a-z0-9]/gi, '-')}`
  const strongest = c.levels.reduce((a, b) => (b.weight > a.weight ? b : a))
  const weakest = c.levels.reduce((a, b) => (b.weight < a.weight ? b : a))
  return horizontalBars(id, `${comparisonLabel(c.name)}: the weight of each level`,
    `“${strongest.level}” counts most for a match (${signed(strongest.weight)} bits); “${weakest.level}” counts most against (${signed(weakest.weight)} bits).`,
    c.levels.map((l) => ({ label: l.level, from: 0, to: l.weight, text: signed(l.weight) })))
}

const BLUE = '#1d70b8'
const share = (v: number) => (v >= 0.01 ? v.toFixed(2) : v >= 0.0001 ? v.toFixed(4) : v.toExponential(1))

/**
 * One comparison's m and u per level, side by side on a scale of 0 to 1: m (blue) is how often the same
 * child reaches the level, u (grey) how often two different children do. Each bar has its figure beside it,
 * so the colours are never the only way to tell them apart.
 */
export function muChart(c: ModelSummary['comparisons'][number]): string {
  const id = `mu-${c.name.replace(/[^a-z0-9]/gi, '-')}`
  const width = 760
  const barHeight = 12
  const rowHeight = 2 * barHeight + 14
  const labelWidth = Math.min(400, Math.max(200, Math.ceil(Math.max(...c.levels.map((l) => l.level.length)) * 7.5)))
  const plot = { left: labelWidth + 10, right: 90, top: 30 }
  const height = plot.top + c.levels.length * rowHeight + 30
  const x = (v: number) => plot.left + v * (width - plot.left - plot.right)
  const parts: string[] = []
  for (let v = 0; v <= 1.0001; v += 0.25) {
    parts.push(`<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${plot.top - 6}" y2="${height - 24}" stroke="${v === 0 ? BLACK : GREY}" stroke-width="1"/>`,
      `<text x="${x(v).toFixed(1)}" y="${plot.top - 12}" text-anchor="middle" fill="${DARK}">${v}</text>`)
  }
  c.levels.forEach((l, i) => {
    const y = plot.top + i * rowHeight + 4
    parts.push(`<text x="${labelWidth}" y="${y + barHeight + 4}" text-anchor="end">${escapeXml(l.level)}</text>`)
    for (const [k, name, value, colour] of [[0, 'm', l.m, BLUE], [1, 'u', l.u, DARK]] as const) {
      const top = y + k * barHeight
      parts.push(`<rect x="${x(0).toFixed(1)}" y="${top}" width="${Math.max(1.5, x(value) - x(0)).toFixed(1)}" height="${barHeight - 2}" fill="${colour}"><title>${escapeXml(`${l.level}: ${name} ${share(value)}`)}</title></rect>`,
        `<text x="${(Math.max(x(value), x(0) + 1.5) + 6).toFixed(1)}" y="${top + barHeight - 2}" font-size="12">${name} ${share(value)}</text>`)
    }
  })
  parts.push(`<text x="${width / 2}" y="${height - 6}" text-anchor="middle" fill="${DARK}">Share of pairs reaching each level: m for the same child (upper bar), u for different children (lower bar)</text>`)
  const top = c.levels.reduce((a, b) => (b.m > a.m ? b : a))
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" focusable="false"`
    + ` aria-labelledby="${id}-title ${id}-desc" font-family="arial, sans-serif" font-size="14" fill="${BLACK}" data-testid="${id}">`
    + `<title id="${id}-title">${escapeXml(`${comparisonLabel(c.name)}: m and u of each level`)}</title>`
    + `<desc id="${id}-desc">${escapeXml(`The same child most often reaches “${top.level}” (m ${share(top.m)}, u ${share(top.u)}). The table below has every figure.`)}</desc>${parts.join('')}</svg>`
}
