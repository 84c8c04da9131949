// The certificate and key for `--tls-cert`/`--tls-key`, read and checked before Bun is given them: a
// missing file, a file that is not PEM, or a key that does not belong to the certificate is one clear
// sentence (at start: exit 1; on SIGHUP: the old certificate stays). docs/operations.md "TLS".
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'

export type TlsFiles = { cert: string; key: string }
/** What Bun.serve's `tls` takes, and what the logs say about the certificate. */
export type TlsPem = { cert: string; key: string; fingerprint256: string; serialNumber: string; validTo: string }

export function loadTls(files: TlsFiles): TlsPem {
  const cert = readPem(files.cert, 'certificate (--tls-cert)')
  const key = readPem(files.key, 'private key (--tls-key)')
  let x509: X509Certificate
  try {
    x509 = new X509Certificate(cert)
  } catch (error) {
    throw new Error(`${files.cert} is not a PEM certificate (--tls-cert): ${(error as Error).message}`)
  }
  let privateKey
  try {
    privateKey = createPrivateKey(key)
  } catch (error) {
    throw new Error(`${files.key} is not an unencrypted PEM private key (--tls-key): ${(error as Error).message}`)
  }
  if (!x509.checkPrivateKey(privateKey)) throw new Error(`the private key ${files.key} does not belong to the certificate ${files.cert}`)
  return { cert, key, fingerprint256: x509.fingerprint256, serialNumber: x509.serialNumber, validTo: x509.validTo }
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new Error(`cannot read the ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
}
