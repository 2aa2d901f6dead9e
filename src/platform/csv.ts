/**
 * One CSV field. Cells starting with = + - @ are prefixed with an apostrophe so that a
 * spreadsheet never runs them as formulas (CSV injection).
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return ''
  let text = value instanceof Date ? value.toISOString() : String(value)
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export const csvLine = (values: unknown[]): string => `${values.map(csvField).join(',')}\r\n`
