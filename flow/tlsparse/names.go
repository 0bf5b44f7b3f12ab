package tlsparse

import (
	"slices"
	"strconv"
)

type cipherSuite struct {
	id   uint16
	name string
}

// CipherSuiteName is the suite's name in the IANA registry
// (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256), or "0x" and four upper-case hex
// digits for a value the registry does not name (GREASE, unassigned,
// drafts' private values).
func CipherSuiteName(id uint16) string {
	if i, ok := suiteIndex(id); ok {
		return cipherSuites[i].name
	}
	return "0x" + hex4Upper(id)
}

// CipherSuiteAssigned reports whether the IANA registry assigns id (GREASE,
// unassigned and private-use values are not).
func CipherSuiteAssigned(id uint16) bool {
	return assignedSuites[id>>6]&(1<<(id&63)) != 0
}

// assignedSuites has a bit set for each suite of cipherSuites: the
// evidence asks of every suite of every hello whether it is assigned,
// and a bit test costs a fraction of a search of the registry (8 KB).
var assignedSuites = func() (set [1 << 16 / 64]uint64) {
	for _, c := range cipherSuites {
		set[c.id>>6] |= 1 << (c.id & 63)
	}
	return set
}()

// suiteIndex is id's place in cipherSuites, if the registry assigns it.
func suiteIndex(id uint16) (int, bool) {
	if !CipherSuiteAssigned(id) {
		return 0, false
	}
	return slices.BinarySearchFunc(cipherSuites[:], id, func(c cipherSuite, id uint16) int {
		return int(c.id) - int(id)
	})
}

// alertDescriptions are the names of the IANA TLS Alerts registry
// (tls-parameters-6), with general_error of draft-ietf-tls-rfc8446bis.
var alertDescriptions = map[uint8]string{
	0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac",
	21: "decryption_failed", 22: "record_overflow", 30: "decompression_failure",
	40: "handshake_failure", 41: "no_certificate", 42: "bad_certificate",
	43: "unsupported_certificate", 44: "certificate_revoked", 45: "certificate_expired",
	46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca",
	49: "access_denied", 50: "decode_error", 51: "decrypt_error",
	52: "too_many_cids_requested", 60: "export_restriction", 70: "protocol_version",
	71: "insufficient_security", 80: "internal_error", 86: "inappropriate_fallback",
	90: "user_canceled", 100: "no_renegotiation", 109: "missing_extension",
	110: "unsupported_extension", 111: "certificate_unobtainable", 112: "unrecognized_name",
	113: "bad_certificate_status_response", 114: "bad_certificate_hash_value",
	115: "unknown_psk_identity", 116: "certificate_required", 117: "general_error",
	120: "no_application_protocol", 121: "ech_required",
}

// AlertDescriptionName is the alert description's IANA name
// (handshake_failure), or its number when the registry has none.
func AlertDescriptionName(d uint8) string {
	if n, ok := alertDescriptions[d]; ok {
		return n
	}
	return strconv.Itoa(int(d))
}

// String names the alert: its level and description, as in
// "fatal: handshake_failure".
func (a Alert) String() string {
	level := "level " + strconv.Itoa(int(a.Level))
	switch a.Level {
	case 1:
		level = "warning"
	case 2:
		level = "fatal"
	}
	return level + ": " + AlertDescriptionName(a.Description)
}

const hexUpper = "0123456789ABCDEF"

func hex4Upper(v uint16) string {
	b := [4]byte{hexUpper[v>>12], hexUpper[v>>8&0xf], hexUpper[v>>4&0xf], hexUpper[v&0xf]}
	return string(b[:])
}
