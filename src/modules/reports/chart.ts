import { formatDate } from '../../platform/views.ts'

// Charts drawn on the server as SVG: they need no script, print as they look, and carry their own
// accessible name. Colours are set as SVG attributes because the CSP allows no inline styles.

export type Bar = { label: string; axisLabel: string; value: number }

const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

const BLUE = '#1d70b8'
const BLACK = '#0b0c0c'
const GREY = '#b1b4b6'

/** A gridline step of 1, 2 or 5 times a power of ten, giving about four whole-number lines. */
export function gridStep(max: number): number {
  const raw = Math.max(1, max / 4)
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  return [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!
}

/**
 * A bar chart as an SVG string with role="img", its title and description as its accessible name
 * and description. Every fourth bar is labelled on the axis, counting back from the last.
 */
export function barChart(opts: { id: string; title: string; description: string; bars: Bar[] }): string {
  const [width, height] = [760, 300]
  const plot = { left: 48, right: 16, top: 24, bottom: 44 }
  const plotWidth = width - plot.left - plot.right
  const plotHeight = height - plot.top - plot.bottom
  const max = Math.max(0, ...opts.bars.map((b) => b.value))
  const step = gridStep(max)
  const top = Math.max(step, Math.ceil(max / step) * step)
  const y = (v: number) => plot.top + plotHeight - (v / top) * plotHeight
  const slot = plotWidth / Math.max(1, opts.bars.length)
  const barWidth = Math.max(2, slot * 0.7)
  const parts: string[] = []

  for (let v = 0; v <= top; v += step) {
    parts.push(`<line x1="${plot.left}" x2="${width - plot.right}" y1="${y(v)}" y2="${y(v)}" stroke="${v === 0 ? BLACK : GREY}" stroke-width="1"/>`,
      `<text x="${plot.left - 8}" y="${y(v) + 5}" text-anchor="end">${v}</text>`)
  }
  opts.bars.forEach((bar, i) => {
    const x = plot.left + i * slot + (slot - barWidth) / 2
    const barTop = y(bar.value)
    parts.push(`<rect x="${x.toFixed(1)}" y="${barTop.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(plot.top + plotHeight - barTop).toFixed(1)}" fill="${BLUE}"><title>${escapeXml(`${bar.label}: ${bar.value}`)}</title></rect>`)
    const last = i === opts.bars.length - 1
    if ((opts.bars.length - 1 - i) % 4 === 0) {
      parts.push(`<text x="${(x + barWidth / 2).toFixed(1)}" y="${height - plot.bottom + 20}" text-anchor="middle">${escapeXml(bar.axisLabel)}</text>`)
    }
    if (last) parts.push(`<text x="${(x + barWidth / 2).toFixed(1)}" y="${(barTop - 6).toFixed(1)}" text-anchor="middle" font-weight="bold">${bar.value}</text>`)
  })

  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" focusable="false"`
    + ` aria-labelledby="${opts.id}-title ${opts.id}-desc" font-family="arial, sans-serif" font-size="14" fill="${BLACK}" data-testid="${opts.id}">`
    + `<title id="${opts.id}-title">${escapeXml(opts.title)}</title><desc id="${opts.id}-desc">${escapeXml(opts.description)}</desc>`
    + `${parts.join('')}</svg>`
}

const shortDate = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' })

/** The register over time: cases open at the end of each week, drawn and described in words. */
export function openCasesChart(weeks: { endsOn: string; open: number }[]): string {
  const long = (iso: string) => formatDate(iso)
  const first = weeks[0]
  const last = weeks[weeks.length - 1]
  const peak = weeks.reduce((a, b) => (b.open > a.open ? b : a), first)
  return barChart({
    id: 'trend-chart',
    title: `Open cases at the end of each week, for the last ${weeks.length} weeks`,
    description: `From ${long(first.endsOn)} to ${long(last.endsOn)}, open cases went from ${first.open} to ${last.open}. `
      + `The highest was ${peak.open}, in the week to ${long(peak.endsOn)}.`,
    bars: weeks.map((w) => ({ label: `Week to ${long(w.endsOn)}`, axisLabel: shortDate.format(new Date(`${w.endsOn}T00:00:00Z`)), value: w.open })),
  })
}

/** Counts by category as horizontal bars, each labelled with its category and count (for a panel's statistics pack). */
export function countChart(opts: { id: string; title: string; description: string; rows: { label: string; value: number }[] }): string {
  const width = 800
  const rowHeight = 28
  const labelWidth = 370
  const plot = { left: labelWidth + 12, right: 60, top: 8 }
  const height = plot.top + opts.rows.length * rowHeight + 8
  const max = Math.max(1, ...opts.rows.map((r) => r.value))
  const x = (v: number) => plot.left + (v / max) * (width - plot.left - plot.right)
  const parts = opts.rows.map((r, i) => {
    const y = plot.top + i * rowHeight
    // Long category names are shortened on the chart; the full name is in the bar's title and the table.
    const shown = r.label.length > 48 ? `${r.label.slice(0, 46)}…` : r.label
    return `<text x="${labelWidth}" y="${y + 18}" text-anchor="end">${escapeXml(shown)}</text>`
      + `<rect x="${plot.left}" y="${y + 4}" width="${Math.max(1, x(r.value) - plot.left).toFixed(1)}" height="${rowHeight - 10}" fill="${BLUE}"><title>${escapeXml(`${r.label}: ${r.value}`)}</title></rect>`
      + `<text x="${(x(r.value) + 6).toFixed(1)}" y="${y + 18}">${r.value}</text>`
  })
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" focusable="false"`
    + ` aria-labelledby="${opts.id}-title ${opts.id}-desc" font-family="arial, sans-serif" font-size="14" fill="${BLACK}" data-testid="${opts.id}">`
    + `<title id="${opts.id}-title">${escapeXml(opts.title)}</title><desc id="${opts.id}-desc">${escapeXml(opts.description)}</desc>`
    + `<line x1="${plot.left}" x2="${plot.left}" y1="0" y2="${height}" stroke="${GREY}"/>${parts.join('')}</svg>`
}
