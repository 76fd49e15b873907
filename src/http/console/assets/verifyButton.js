import { parseCheckpointText, parseSignedNote, verifyLogEntry } from './verifyLogEntry.js'

/*
 * The Verify button of an entry page. It fetches the raw material (the entry's bytes, the signed
 * checkpoint, the inclusion proof for that checkpoint's size, and the public keys) and checks it
 * here, in the browser, with verifyLogEntry.js. Keys can be pinned in this browser's storage, so
 * a gateway that later swapped its keys would fail verification instead of vouching for itself.
 */

const pinnedKeysItem = 'intentgate.console.pinnedKeys'
const panel = document.querySelector('[data-verify-entry]')

if (panel) {
  const index = Number(panel.getAttribute('data-verify-entry'))
  const button = panel.querySelector('[data-verify-button]')
  const output = panel.querySelector('[data-verify-output]')
  const keySource = panel.querySelector('[data-key-source]')
  const pinButton = panel.querySelector('[data-pin-keys]')
  const forgetButton = panel.querySelector('[data-forget-keys]')

  const pinned = () => {
    try {
      const saved = JSON.parse(localStorage.getItem(pinnedKeysItem) ?? 'null')
      return saved?.log?.verifierKey && Array.isArray(saved.attestation) ? saved : undefined
    } catch {
      return undefined
    }
  }
  const fetchOk = async (path) => {
    const response = await fetch(path, { credentials: 'same-origin', cache: 'no-store' })
    if (!response.ok) throw new Error(`${path} answered ${response.status}`)
    return response
  }
  const publishedKeys = async () => (await fetchOk('/console/api/log/keys')).json()
  const describeKeys = () => {
    keySource.textContent = pinned()
      ? 'Keys: pinned in this browser. A gateway that changed its keys fails here.'
      : 'Keys: as this gateway publishes them now. Compare them with a copy published out of band, then pin them.'
  }

  const show = (verdict, keys) => {
    output.replaceChildren()
    const heading = document.createElement('p')
    heading.className = verdict.ok ? 'verdict verdict-ok' : 'verdict verdict-bad'
    heading.textContent = verdict.ok
      ? `Verified in this browser: entry ${index} is signed and included in the log.`
      : `Not verified: entry ${index} failed a check.`
    const list = document.createElement('ul')
    for (const step of verdict.steps) {
      const item = document.createElement('li')
      item.textContent = `${step.ok ? 'pass' : 'FAIL'}: ${step.name}: ${step.detail}`
      list.append(item)
    }
    const origin = document.createElement('p')
    origin.textContent = `Log key ${keys.log.verifierKey.split('+').slice(0, 2).join('+')}`
    output.append(heading, list, origin)
  }

  button?.addEventListener('click', async () => {
    button.disabled = true
    output.textContent = 'Verifying…'
    try {
      const keys = pinned() ?? (await publishedKeys())
      const checkpointNote = await (await fetchOk('/console/api/log/checkpoint')).text()
      // Read only to ask for a proof of the right size; the verification checks everything.
      const note = parseSignedNote(checkpointNote)
      const size = note ? parseCheckpointText(note.text)?.size : undefined
      if (size === undefined) throw new Error('the checkpoint cannot be read')
      const entry = new Uint8Array(await (await fetchOk(`/console/api/entries/${index}/raw`)).arrayBuffer())
      const proof = await (await fetchOk(`/console/api/entries/${index}/proof?treeSize=${size}`)).json()
      const verdict = await verifyLogEntry({
        index,
        entry,
        proof: { treeSize: proof.treeSize, hashes: proof.proof },
        checkpointNote,
        logVerifierKey: keys.log.verifierKey,
        attestationKeys: keys.attestation,
      })
      show(verdict, keys)
    } catch (error) {
      output.textContent = `Could not verify: ${error.message}`
    } finally {
      button.disabled = false
    }
  })

  pinButton?.addEventListener('click', async () => {
    const keys = await publishedKeys()
    localStorage.setItem(pinnedKeysItem, JSON.stringify({ log: keys.log, attestation: keys.attestation }))
    describeKeys()
  })
  forgetButton?.addEventListener('click', () => {
    localStorage.removeItem(pinnedKeysItem)
    describeKeys()
  })
  describeKeys()
  // The buttons are rendered disabled, so no click lands before the handlers above are attached.
  for (const wired of [button, pinButton, forgetButton]) if (wired) wired.disabled = false
}
