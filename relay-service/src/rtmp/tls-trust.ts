// Which certificate authorities rtmps:// destinations are verified against:
// the operating system's store (as browsers and OBS do), Node's bundled
// Mozilla list, and the operator's own CAs (--tls-ca-file) for private ingest.
// Built once: a secure context per connection would re-parse ~150 certificates.
import fs from "node:fs";
import tls from "node:tls";

/** Where Debian/Ubuntu, Fedora/RHEL and Alpine keep the system bundle. */
const SYSTEM_BUNDLES = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];

export class TlsTrustError extends Error {}

export function systemCertificates(): string[] {
  const getCa = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates; // Node ≥ 22.15
  if (getCa) {
    try {
      return getCa("system");
    } catch {
      /* fall through to the files */
    }
  }
  for (const file of SYSTEM_BUNDLES) {
    try {
      return [fs.readFileSync(file, "utf8")];
    } catch {
      /* next */
    }
  }
  return [];
}

/** The trust store for outgoing TLS: system + bundled + `extraCaFile` (PEM, one or more certificates). */
export function createTlsTrust(extraCaFile?: string): tls.SecureContext {
  const ca = [...tls.rootCertificates, ...systemCertificates()];
  if (extraCaFile) {
    let pem: string;
    try {
      pem = fs.readFileSync(extraCaFile, "utf8");
    } catch (err) {
      throw new TlsTrustError(`cannot read the TLS CA file ${extraCaFile}: ${(err as Error).message}`);
    }
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw new TlsTrustError(`the TLS CA file ${extraCaFile} holds no PEM certificate`);
    ca.push(pem);
  }
  return tls.createSecureContext({ ca });
}
