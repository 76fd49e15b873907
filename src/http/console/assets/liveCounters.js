/*
 * Refreshes the live counters in place every 5 seconds from /console/counters/live, a fragment the
 * server renders. A toggle pauses it, for reading a figure without it moving.
 */
const region = document.querySelector('[data-live-counters]')
const toggle = document.querySelector('[data-live-toggle]')
let paused = false

toggle?.addEventListener('click', () => {
  paused = !paused
  toggle.setAttribute('aria-pressed', String(paused))
  toggle.textContent = paused ? 'Resume updates' : 'Pause updates'
})

async function refresh() {
  if (paused || !region) return
  try {
    const response = await fetch('/console/counters/live', { credentials: 'same-origin', cache: 'no-store' })
    if (response.ok) region.innerHTML = await response.text()
  } catch {
    // The next tick tries again; the figures shown stay as they were.
  }
}

if (region) setInterval(refresh, 5_000)
// Rendered disabled, so no click lands before the handler above is attached.
if (toggle) toggle.disabled = false
