// Package signature is tlsentry's catalogue of alert signatures: one per
// kind of finding (a protocol that is not TLS on a TLS port, a malformed
// handshake, a self-signed certificate, a client stack never seen in the
// model's baseline, a block-list hit, periodic connections...), each with the
// fields of Suricata's alert object (gid, signature_id, rev, signature,
// category) so that triage queues and SIEM rules made for Suricata read
// tlsentry's alerts unchanged.
//
// An alerting flow's reasons (detector/scoring.Reason) are grouped by the
// signature each belongs to; every group becomes one alert record, its
// severity (1 high to 3 low) set by the strength of its evidence.
// docs/signatures.md lists the catalogue; a test keeps the two equal.
package signature
