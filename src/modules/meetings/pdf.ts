import PDFDocument from 'pdfkit'
import { formatDate, formatDateTime } from '../../platform/views.ts'
import type { MeetingPage } from './service.ts'

// The agenda pack and the approved minutes as restricted PDFs. Every page carries the viewer's name and
// the time it was made, across the page and in the footer, so a printed copy says whose it was.
// Helvetica is one of the PDF standard fonts: no font file ships, and GDS Transport is not used.

export type Viewer = { name: string; organisation: string; at: Date }

const ATTENDANCE = { present: 'Present', apologies: 'Apologies', absent: 'Absent' } as const

export function meetingPdf(kind: 'agenda' | 'minutes', page: MeetingPage, laName: string, viewer: Viewer): Promise<Buffer> {
  const { meeting, series, items, attendance, actions, amendments } = page
  const doc = new PDFDocument({ size: 'A4', margins: { top: 60, bottom: 60, left: 56, right: 56 }, bufferPages: true,
    info: { Title: `${meeting.seriesName}: ${kind === 'agenda' ? 'agenda' : 'minutes'}, ${formatDate(meeting.heldOn)}`, Author: laName } })
  const chunks: Buffer[] = []
  doc.on('data', (c: Buffer) => chunks.push(c))
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))))
  const stamp = `Restricted. Made for ${viewer.name}, ${viewer.organisation}, ${formatDateTime(viewer.at)}`

  const heading = (text: string, size = 14) => doc.moveDown(0.6).font('Helvetica-Bold').fontSize(size).fillColor('#0b0c0c').text(text).moveDown(0.2)
  const body = (text: string) => doc.font('Helvetica').fontSize(10.5).fillColor('#0b0c0c').text(text, { paragraphGap: 3 })
  const label = (name: string, value: string) => doc.font('Helvetica-Bold').fontSize(10.5).text(`${name}: `, { continued: true }).font('Helvetica').text(value, { paragraphGap: 2 })

  doc.font('Helvetica').fontSize(9).fillColor('#505a5f').text(`${laName}: RESTRICTED`)
  doc.font('Helvetica-Bold').fontSize(20).fillColor('#0b0c0c').text(`${meeting.seriesName}`)
  doc.font('Helvetica').fontSize(13).text(`${kind === 'agenda' ? 'Agenda' : 'Minutes'}, ${formatDate(meeting.heldOn)}`)
  doc.moveDown(0.5)
  label('Chair', series.chairLabel)
  label('Quorum', String(series.quorum))
  if (kind === 'minutes') {
    label('Approved', meeting.approvedAt ? `by ${meeting.approvedByLabel}, ${formatDateTime(meeting.approvedAt)}` : 'Not yet approved: draft')
    heading('Attendance')
    for (const a of attendance) body(`${a.label}: ${a.status ? ATTENDANCE[a.status] : 'not recorded'}${a.declaration ? `. Declaration of interest: ${a.declaration}` : ''}`)
  } else {
    heading('Members')
    for (const a of attendance) body(a.label)
  }

  heading(kind === 'agenda' ? 'Items' : 'Items and decisions')
  const live = items.filter((i) => !i.removedReason)
  if (!live.length) body('No items.')
  live.forEach((i, n) => {
    doc.moveDown(0.3).font('Helvetica-Bold').fontSize(11.5).text(`${n + 1}. ${i.childName}${i.dateOfBirth ? `, born ${formatDate(i.dateOfBirth)}` : ''}${i.riskLevel === 'high' ? ' (high risk)' : ''}`)
    body(`Why on the agenda: ${i.reasons}`)
    if (kind === 'minutes') {
      if (i.notes) body(`Notes: ${i.notes}`)
      if (i.outcome === 'decided') { label('Decision', i.decision ?? ''); if (i.rationale) label('Why', i.rationale) } else body('Not discussed: carried to the next meeting.')
      for (const a of actions[i.id] ?? []) body(`Action: ${a.title}. For ${a.ownerLabel}, due ${formatDate(a.dueOn)}, ${a.priority} priority.`)
    }
  })
  const removed = items.filter((i) => i.removedReason)
  if (removed.length) {
    heading('Taken off the agenda by the chair', 12)
    for (const i of removed) body(`${i.childName}: ${i.removedReason}`)
  }
  if (kind === 'minutes' && amendments.length) {
    heading('Amendments', 12)
    for (const a of amendments) body(`${a.childName ? `${a.childName}: ` : ''}${a.correction} (reason: ${a.reason}; ${a.madeByLabel}, ${formatDateTime(a.madeAt)})`)
  }

  // The stamp on every page: large and faint across the middle, and in the footer with the page number.
  const range = doc.bufferedPageRange()
  for (let p = range.start; p < range.start + range.count; p++) {
    doc.switchToPage(p)
    const { width, height } = doc.page
    doc.save().rotate(-35, { origin: [width / 2, height / 2] }).font('Helvetica-Bold').fontSize(22).fillColor('#b1b4b6').opacity(0.35)
      .text(stamp, 0, height / 2 - 20, { width, align: 'center', lineBreak: true }).restore().opacity(1)
    const bottom = doc.page.margins.bottom
    doc.page.margins.bottom = 0
    doc.font('Helvetica').fontSize(8).fillColor('#505a5f').text(`${stamp}. Page ${p - range.start + 1} of ${range.count}.`, 56, height - 40, { width: width - 112, align: 'center' })
    doc.page.margins.bottom = bottom
  }
  doc.end()
  return done
}
