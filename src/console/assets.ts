// The console's two static files, embedded in the server's code (and so in the executable): the
// browser bundle, built by a macro when the code is loaded or compiled (src/console/bundle-client.ts),
// and the style sheet. Served with a content hash in the URL, so they can be cached for good.
import { clientBundle } from './bundle-client' with { type: 'macro' }
import styles from './console.css' with { type: 'text' }

const script: string = clientBundle()

type Asset = { body: string; type: string; version: string }

// A satellite dish, in the console's accent colour: browsers ask for an icon on every page.
const icon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="15" fill="#0b5cad"/><path d="M9 21a9 9 0 0 1 10-14l-4 7 5 1-7 7z" fill="#fff"/><circle cx="22" cy="10" r="2" fill="#fff"/></svg>`

const ASSETS: Record<string, Asset> = {
  'icon.svg': { body: icon, type: 'image/svg+xml', version: Bun.hash(icon).toString(36) },
  'console.js': { body: script, type: 'text/javascript; charset=utf-8', version: Bun.hash(script).toString(36) },
  'console.css': { body: styles, type: 'text/css; charset=utf-8', version: Bun.hash(styles).toString(36) },
}

export type AssetName = keyof typeof ASSETS

/** The URL of an asset, with its content hash. */
export function assetPath(name: 'console.js' | 'console.css' | 'icon.svg'): string {
  return `/assets/${name}?v=${ASSETS[name]!.version}`
}

/** The response for `/assets/{name}`, or null when there is no such asset. */
export function assetResponse(name: string): Response | null {
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined
  if (!asset) return null
  return new Response(asset.body, {
    headers: {
      'content-type': asset.type,
      'cache-control': 'public, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
    },
  })
}
