// The copy button of a key shown once (docs/console.md "API keys"): reveals the button the server renders
// hidden, copies with the Clipboard API, and where that is refused (plain http on a station's LAN is not a
// secure context) selects the text and asks for Ctrl+C. Without JavaScript the key is selectable text.

function selectText(element: HTMLElement) {
  const selection = window.getSelection()
  if (!selection) return
  const range = document.createRange()
  range.selectNodeContents(element)
  selection.removeAllRanges()
  selection.addRange(range)
}

export function copyIsland(root: HTMLElement) {
  const button = root.querySelector<HTMLButtonElement>('[data-copy-target]')
  const state = root.querySelector<HTMLElement>('[data-copy-state]')
  const target = button ? document.getElementById(button.dataset.copyTarget ?? '') : null
  if (!button || !target) return
  const say = (text: string) => {
    if (state) state.textContent = text
  }
  button.hidden = false
  button.addEventListener('click', async () => {
    const text = target.textContent?.trim() ?? ''
    try {
      if (!navigator.clipboard) throw new Error('no clipboard')
      await navigator.clipboard.writeText(text)
      say('Copied to the clipboard.')
    } catch {
      selectText(target)
      let copied = false
      try {
        copied = document.execCommand('copy')
      } catch {
        copied = false
      }
      say(copied ? 'Copied to the clipboard.' : 'The key is selected: press Ctrl+C (⌘C on a Mac) to copy it.')
    }
  })
}
