// Progressive enhancement for a run in progress, loaded by init.js only on its page. Without it the page
// has a link to look again. It polls the run's progress address, shows each stage in place (in a polite
// live region), and reloads the page when the run has finished or stopped, to show its results.
const POLL_MS = 2000
const ACTIVE = ['queued', 'running']

function watchRun(region) {
  const url = region.dataset.progressUrl
  const text = region.querySelector('[data-progress-text]')
  let failures = 0
  const poll = async () => {
    if (!document.hidden) {
      try {
        const response = await window.fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
        if (!response.ok) throw new Error(`status ${response.status}`)
        const { state, words } = await response.json()
        // Finished, stopped, or started since the page was drawn: the page itself shows the new state.
        if (!ACTIVE.includes(state) || state !== region.dataset.state) return window.location.reload()
        if (text && text.textContent.trim() !== words) text.textContent = words
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

for (const region of document.querySelectorAll('[data-lantern-run-progress]')) watchRun(region)
