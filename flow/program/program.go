package program

import "bytes"

// lookLen is how many of the first bytes Starts reads at most, so that
// callers holding more (the flow table's whole prefix) or fewer (the
// parsers' 512) decide alike.
const lookLen = 512

// Starts reports whether b starts with a program sent raw: a Windows PE
// (an MZ header whose e_lfanew points at "PE\0\0", or the DOS stub's text
// when the PE header lies beyond the bytes read) or an ELF header, at
// byte 0 or after a 4-byte length. No protocol starts this way; a
// download over HTTP starts with HTTP.
func Starts(b []byte) bool {
	b = b[:min(len(b), lookLen)]
	for _, at := range [...]int{0, 4} {
		if len(b) > at && (isPE(b[at:]) || isELF(b[at:])) {
			return true
		}
	}
	return false
}

// dosStub is the text of the DOS stub linkers put in every PE.
var dosStub = []byte("This program cannot be run in DOS mode")

func isPE(b []byte) bool {
	if len(b) < 64 || b[0] != 'M' || b[1] != 'Z' {
		return false
	}
	lfanew := int(b[60]) | int(b[61])<<8 | int(b[62])<<16 | int(b[63])<<24
	if lfanew >= 64 && lfanew <= len(b)-4 {
		return string(b[lfanew:lfanew+4]) == "PE\x00\x00"
	}
	return bytes.Contains(b[64:min(len(b), 256)], dosStub)
}

// isELF matches the ELF identification: magic, a 32- or 64-bit class, a
// byte order and version 1.
func isELF(b []byte) bool {
	return len(b) >= 7 && string(b[:4]) == "\x7fELF" && (b[4] == 1 || b[4] == 2) && (b[5] == 1 || b[5] == 2) && b[6] == 1
}
