package exeimage

import "encoding/binary"

// DOSStub is the DOS stub's code and text, as linkers put it at 0x40.
const DOSStub = "\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21This program cannot be run in DOS mode.\r\r\n$"

// PEHeaderAt is where linkers usually put the PE header (e_lfanew).
const PEHeaderAt = 0xe8

// WritePE writes a Windows program's headers over the start of b: the MZ
// header whose e_lfanew is lfanew, the DOS stub, zeros up to lfanew, and
// the PE signature of an x86-64 image there when b holds it. b must hold
// the MZ header and the stub (0x80 bytes); the rest is left as it is.
func WritePE(b []byte, lfanew int) {
	clear(b[:min(len(b), lfanew)])
	copy(b, "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")
	binary.LittleEndian.PutUint32(b[0x3c:], uint32(lfanew))
	copy(b[0x40:], DOSStub)
	if lfanew < len(b) {
		copy(b[lfanew:], "PE\x00\x00\x64\x86")
	}
}

// WriteELF writes the identification and type of a 64-bit little-endian
// x86-64 ELF shared object over the start of b (20 bytes).
func WriteELF(b []byte) {
	copy(b, "\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x3e\x00")
}
