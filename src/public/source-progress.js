// Progressive enhancement for sources, loaded by init.js only on the pages that need it. Without it the
// upload form posts as usual and a source being checked has a link to look again.
// - The upload form is sent by XMLHttpRequest so the page can show how much of the file has gone.
// - A source being checked polls its progress address and updates the bar and its text in place.
import { initAll } from '/govuk/govuk-frontend.min.js'

const POLL_MS = 2000
const TEXT_EVERY_MS = 1000
const ACTIVE = ['queued', 'processing']
const STATE_TAGS = { queued: ['Waiting to be checked', 'govuk-tag--grey'], processing: ['Being checked', 'govuk-tag--blue'] }

const count = (n) => Number(n).toLocaleString('en-GB')

function size(bytes) {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`
  const mb = bytes / 1024 / 1024
  return `${mb < 10 ? mb.toFixed(1) : Math.round(mb)} MB`
}

function element(name, attributes, text) {
  const el = document.createElement(name)
  for (const [key, value] of Object.entries(attributes)) el.setAttribute(key, value)
  if (text) el.textContent = text
  return el
}

function enhanceUpload(form) {
  if (!window.XMLHttpRequest || !window.FormData) return
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    if (form.dataset.sending) return
    form.dataset.sending = 'true'
    send(form)
  })
}

function send(form) {
  const button = form.querySelector('button[type=submit], button:not([type])')
  // aria-disabled rather than disabled, so keyboard focus stays on the button.
  button?.setAttribute('aria-disabled', 'true')
  button?.classList.add('govuk-button--disabled')
  form.querySelector('[data-upload-status]')?.remove()
  const status = element('div', { class: 'govuk-inset-text lantern-upload-status', 'data-upload-status': '', 'data-testid': 'upload-progress' })
  const bar = element('progress', { class: 'lantern-progress', max: '100', value: '0', 'aria-label': 'File uploaded' })
  const text = element('p', { class: 'govuk-body', 'aria-live': 'polite' })
  status.append(bar, text)
  form.append(status)
  text.textContent = 'Uploading the file'

  let shownAt = 0
  const say = (words, force) => {
    const now = Date.now()
    if (!force && now - shownAt < TEXT_EVERY_MS) return
    shownAt = now
    text.textContent = words
  }
  const stop = (words) => {
    delete form.dataset.sending
    button?.removeAttribute('aria-disabled')
    button?.classList.remove('govuk-button--disabled')
    status.classList.add('lantern-upload-status--error')
    say(words, true)
  }

  const xhr = new window.XMLHttpRequest()
  xhr.open('POST', form.action)
  xhr.responseType = 'document'
  xhr.upload.addEventListener('progress', (event) => {
    if (!event.lengthComputable) return
    bar.max = event.total
    bar.value = event.loaded
    say(`Uploaded ${size(event.loaded)} of ${size(event.total)}`, event.loaded === event.total)
  })
  xhr.upload.addEventListener('load', () => say('Uploaded the whole file. Lantern is reading it: this can take a minute for a big file.', true))
  xhr.addEventListener('load', () => {
    // The server answers 303 with the next page, which XMLHttpRequest has already followed.
    const redirected = xhr.responseURL && new URL(xhr.responseURL).pathname !== new URL(form.action).pathname
    if (xhr.status < 400 && redirected) return window.location.assign(xhr.responseURL)
    if (xhr.responseXML?.body) return showPage(xhr.responseXML)
    stop('The file could not be uploaded. Try again.')
  })
  xhr.addEventListener('error', () => stop('The file could not be uploaded. Check your connection and try again.'))
  xhr.send(new window.FormData(form))
}

/** The form again with its errors, as the server rendered it, in place of this page. */
function showPage(page) {
  const body = document.adoptNode(page.body)
  // The template's own script adds these when a page loads, which an adopted body has not had.
  for (const name of ['js-enabled', 'govuk-frontend-supported']) if (document.body.classList.contains(name)) body.classList.add(name)
  document.title = page.title
  document.body.replaceWith(body)
  window.scrollTo(0, 0)
  // Starts the error summary, which moves focus to itself, and the form's own enhancement.
  initAll()
  start(document)
}

function watchCheck(region) {
  const url = region.dataset.progressUrl
  let failures = 0
  const poll = async () => {
    if (!document.hidden) {
      try {
        const response = await window.fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
        if (!response.ok) throw new Error(`status ${response.status}`)
        const progress = await response.json()
        if (!ACTIVE.includes(progress.state)) return window.location.reload()
        showProgress(region, progress)
        failures = 0
      } catch {
        // Signed out, or the network is down: after a few tries leave the page to its link.
        if (++failures >= 3) return
      }
    }
    window.setTimeout(poll, POLL_MS)
  }
  window.setTimeout(poll, POLL_MS)
}

function showProgress(region, { state, totalRows, processedRows }) {
  const tag = document.querySelector('[data-progress-state] .govuk-tag')
  if (tag && STATE_TAGS[state]) {
    tag.textContent = STATE_TAGS[state][0]
    tag.classList.remove('govuk-tag--grey', 'govuk-tag--blue')
    tag.classList.add(STATE_TAGS[state][1])
  }
  if (!totalRows) return
  const text = region.querySelector('[data-progress-text]')
  let bar = region.querySelector('progress')
  if (!bar) {
    bar = element('progress', { class: 'lantern-progress', 'aria-label': 'Rows checked' })
    text.before(bar)
  }
  bar.max = totalRows
  bar.value = Math.min(processedRows, totalRows)
  bar.textContent = `${count(processedRows)} of ${count(totalRows)}`
  const words = processedRows >= totalRows
    ? `Checked all ${count(totalRows)} rows. Lantern is finishing the check.`
    : `Checked ${count(processedRows)} of ${count(totalRows)} rows.`
  if (text.textContent.trim() !== words) text.textContent = words
}

function start(root) {
  for (const form of root.querySelectorAll('form[data-lantern-progress=upload]')) enhanceUpload(form)
  for (const region of root.querySelectorAll('[data-lantern-progress=check]')) watchCheck(region)
}

start(document)
