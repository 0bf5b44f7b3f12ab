package quic

import "strconv"

// Version is a QUIC version number as sent on the wire.
type Version uint32

// Versions this package knows by name.
const (
	VersionNegotiation Version = 0x00000000 // the version of a Version Negotiation packet
	Version1           Version = 0x00000001 // RFC 9000
	Version2           Version = 0x6b3343cf // RFC 9369
	VersionDraft29     Version = 0xff00001d
	VersionMvfst22     Version = 0xfaceb001 // Facebook mvfst, draft-22 based
	VersionMvfst27     Version = 0xfaceb002 // Facebook mvfst, draft-27 based
	VersionMvfstExp    Version = 0xfaceb00e // Facebook mvfst experimental, draft-27 based
	VersionQ043        Version = 0x51303433 // Google QUIC crypto, public header, in clear
	VersionQ046        Version = 0x51303436 // Google QUIC crypto, long header, in clear
	VersionQ050        Version = 0x51303530 // Google QUIC crypto in IETF-style packets
	VersionT050        Version = 0x54303530 // Google QUIC with TLS
	VersionT051        Version = 0x54303531 // Google QUIC with TLS
)

// draft returns the IETF draft number of a draft version, else 0.
func (v Version) draft() int {
	if v>>8 == 0xff0000 {
		return int(v & 0xff)
	}
	return 0
}

// IsGrease reports whether v is one of the versions reserved to exercise
// version negotiation (0x?a?a?a?a, RFC 9000 section 15).
func (v Version) IsGrease() bool { return v&0x0f0f0f0f == 0x0a0a0a0a }

// Known reports whether v belongs to a QUIC family this package has heard
// of, whether or not it can decrypt it: IETF v1, v2 and drafts, mvfst,
// Google's IETF-header versions, and greasing versions.
func (v Version) Known() bool {
	switch {
	case v == Version1, v == Version2, v.draft() != 0, v.IsGrease():
		return true
	case v&0xfffffff0 == 0xfaceb000: // mvfst
		return true
	case v&0xffffff00 == 0x51303500, v&0xffffff00 == 0x54303500: // Q05x, T05x
		return true
	}
	return false
}

// Supported reports whether the Initial packets of v can be decrypted.
func (v Version) Supported() bool { return lookup(v) != nil }

func (v Version) String() string {
	switch v {
	case Version1:
		return "v1"
	case Version2:
		return "v2"
	case VersionMvfst22:
		return "mvfst-22"
	case VersionMvfst27:
		return "mvfst-27"
	case VersionMvfstExp:
		return "mvfst-exp"
	}
	if v == VersionQ050 || v == VersionT050 || v == VersionT051 || IsLegacyGoogle(v) {
		return string([]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	if d := v.draft(); d != 0 {
		return "draft-" + strconv.Itoa(d)
	}
	return "0x" + strconv.FormatUint(uint64(v)|1<<32, 16)[1:]
}

// params is what differs between versions for Initial packets.
type params struct {
	salt *[20]byte
	// Labels of HKDF-Expand-Label for the packet key, IV and header
	// protection key.
	keyLabel, ivLabel, hpLabel string
	// v2Types: the long-header type bits of RFC 9369 (Initial 0b01, 0-RTT
	// 0b10, Handshake 0b11, Retry 0b00) instead of RFC 9000's.
	v2Types bool
	// gquicFrames: the payload uses Google QUIC's frame encoding (T050,
	// T051, Q050) instead of the IETF frames.
	gquicFrames bool
	// retry holds the Retry integrity key and nonce when this package
	// checks the tags of the version's Retry packets.
	retry *retryKey
}

type retryKey struct {
	key   [16]byte
	nonce [12]byte
}

// Initial salts. Sources:
//   - v1 (also drafts 33 and 34): RFC 9001 section 5.2.
//   - v2: RFC 9369 section 3.3.1.
//   - drafts 29 to 32: draft-ietf-quic-tls-29 section 5.2.
//   - drafts 23 to 28: draft-ietf-quic-tls-23 section 5.2.
//   - draft 22 and mvfst-22: draft-ietf-quic-tls-22 section 5.2.
//   - Google Q050, T050, T051: Chromium's QUIC library, quiche
//     quic/core/crypto/crypto_utils.cc (kQ050Salt, kT050Salt, kT051Salt);
//     Wireshark's packet-quic.c and nDPI's quic.c carry the same values.
//
// Versions a draft-based implementation names after a draft take that
// draft's salt: mvfst 0xfaceb001 is draft 22, 0xfaceb002 and 0xfaceb00e
// are draft 27 (as Wireshark's quic_draft_version maps them).
var (
	saltV1      = [20]byte{0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a}
	saltV2      = [20]byte{0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9}
	saltDraft29 = [20]byte{0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99}
	saltDraft23 = [20]byte{0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02}
	saltDraft22 = [20]byte{0x7f, 0xbc, 0xdb, 0x0e, 0x7c, 0x66, 0xbb, 0xe9, 0x19, 0x3a, 0x96, 0xcd, 0x21, 0x51, 0x9e, 0xbd, 0x7a, 0x02, 0x64, 0x4a}
	saltQ050    = [20]byte{0x50, 0x45, 0x74, 0xef, 0xd0, 0x66, 0xfe, 0x2f, 0x9d, 0x94, 0x5c, 0xfc, 0xdb, 0xd3, 0xa7, 0xf0, 0xd3, 0xb5, 0x6b, 0x45}
	saltT050    = [20]byte{0x7f, 0xf5, 0x79, 0xe5, 0xac, 0xd0, 0x72, 0x91, 0x55, 0x80, 0x30, 0x4c, 0x43, 0xa2, 0x36, 0x7c, 0x60, 0x48, 0x83, 0x10}
	saltT051    = [20]byte{0x7a, 0x4e, 0xde, 0xf4, 0xe7, 0xcc, 0xee, 0x5f, 0xa4, 0x50, 0x6c, 0x19, 0x12, 0x4f, 0xc8, 0xcc, 0xda, 0x6e, 0x03, 0x3d}
)

// Retry integrity keys: RFC 9001 section 5.8 (v1) and RFC 9369 section
// 3.3.3 (v2).
var (
	retryV1 = retryKey{
		key:   [16]byte{0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a, 0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8, 0x4e},
		nonce: [12]byte{0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb},
	}
	retryV2 = retryKey{
		key:   [16]byte{0x8f, 0xb4, 0xb0, 0x1b, 0x56, 0xac, 0x48, 0xe2, 0x60, 0xfb, 0xcb, 0xce, 0xad, 0x7c, 0xcc, 0x92},
		nonce: [12]byte{0xd8, 0x69, 0x69, 0xbc, 0x2d, 0x7c, 0x6d, 0x99, 0x90, 0xef, 0xb0, 0x4a},
	}
)

var (
	paramsV1      = params{salt: &saltV1, keyLabel: "quic key", ivLabel: "quic iv", hpLabel: "quic hp", retry: &retryV1}
	paramsV2      = params{salt: &saltV2, keyLabel: "quicv2 key", ivLabel: "quicv2 iv", hpLabel: "quicv2 hp", v2Types: true, retry: &retryV2}
	paramsDraft33 = params{salt: &saltV1, keyLabel: "quic key", ivLabel: "quic iv", hpLabel: "quic hp"}
	paramsDraft29 = params{salt: &saltDraft29, keyLabel: "quic key", ivLabel: "quic iv", hpLabel: "quic hp"}
	paramsDraft23 = params{salt: &saltDraft23, keyLabel: "quic key", ivLabel: "quic iv", hpLabel: "quic hp"}
	paramsDraft22 = params{salt: &saltDraft22, keyLabel: "quic key", ivLabel: "quic iv", hpLabel: "quic hp"}
	paramsQ050    = params{salt: &saltQ050, keyLabel: "quic key", ivLabel: "quic iv", hpLabel: "quic hp", gquicFrames: true}
	paramsT050    = params{salt: &saltT050, keyLabel: "quic key", ivLabel: "quic iv", hpLabel: "quic hp", gquicFrames: true}
	paramsT051    = params{salt: &saltT051, keyLabel: "quic key", ivLabel: "quic iv", hpLabel: "quic hp", gquicFrames: true}
)

// lookup returns the Initial parameters of v, or nil when its Initial
// packets cannot be decrypted (unknown salt, or a header layout older than
// draft 22, when the connection ID lengths were still packed in one byte).
func lookup(v Version) *params {
	switch v {
	case Version1:
		return &paramsV1
	case Version2:
		return &paramsV2
	case VersionMvfst22:
		return &paramsDraft22
	case VersionMvfst27, VersionMvfstExp:
		return &paramsDraft23
	case VersionQ050:
		return &paramsQ050
	case VersionT050:
		return &paramsT050
	case VersionT051:
		return &paramsT051
	}
	switch d := v.draft(); {
	case d == 22:
		return &paramsDraft22
	case d >= 23 && d <= 28:
		return &paramsDraft23
	case d >= 29 && d <= 32:
		return &paramsDraft29
	case d == 33 || d == 34:
		return &paramsDraft33
	}
	return nil
}
